/// An event together with its canonical body bytes, serialised exactly once.
///
/// The relay keeps this value across retries and re-signs ``body`` with a fresh `t` each time:
/// the bytes that are signed are the bytes that are sent, and they never change.
public struct EncodedReferralEvent: Sendable, Hashable {
    /// The validated event.
    public let event: ReferralEvent
    /// The canonical JSON body; sign and send these bytes unchanged.
    public let body: [UInt8]

    /// Encodes `event` once with ``ReferralEventEncoder``.
    ///
    /// - Parameter event: A validated event.
    public init(_ event: ReferralEvent) {
        self.event = event
        self.body = ReferralEventEncoder.encode(event)
    }

    /// The body as a UTF-8 string, for logs and tests.
    public var bodyString: String { String(decoding: self.body, as: UTF8.self) }
}

extension ReferralEvent {
    /// Encodes this event once into its canonical body.
    ///
    /// - Returns: The event with its body bytes.
    public func encoded() -> EncodedReferralEvent {
        EncodedReferralEvent(self)
    }
}
