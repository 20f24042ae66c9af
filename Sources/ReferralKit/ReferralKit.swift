/// Namespace for the MMOLove referral SDK (placeholder until the ReferralKit issue lands).
public enum ReferralKit {}
