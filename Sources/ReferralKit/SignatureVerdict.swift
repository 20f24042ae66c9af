/// The outcome of checking a signature against a body, a secret and a clock.
public enum SignatureVerdict: Sendable, Hashable {
    /// The MAC matches and `t` is inside the replay window.
    case valid
    /// The MAC does not match (wrong secret, re-serialised body, trailing newline, wrong key id).
    case badSignature
    /// The MAC may match but `t` is outside the replay window.
    case staleTimestamp
}
