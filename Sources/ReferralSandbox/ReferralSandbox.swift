import ReferralKit

/// Namespace for the local MMOLove endpoint (placeholder until the ReferralKit issue lands).
public enum ReferralSandbox {}
