/// A delivery's place in the relay's in-flight window, as the ``Deliverer`` sees it.
///
/// A `qualified` answered 422 waits for its account's `registered`, which may still be on
/// the input topics. It must not hold a window slot while it waits: a window full of waiting
/// events would starve the very `registered` events they wait for. So it ``leave()``s the
/// window for the wait and ``enter()``s it again before the next attempt. The relay's pipeline
/// provides the slot; a delivery without one (tests, tools) just waits.
public struct DeliverySlot: Sendable {
    /// Gives the slot back (the delivery is about to wait).
    public var leave: @Sendable () -> Void
    /// Waits for a slot again; throws `CancellationError` when cancelled meanwhile.
    public var enter: @Sendable () async throws -> Void
    /// Whether the `registered` a waiting `qualified` needs may still be read by this instance
    /// (input it has not read yet is older than the event): the wait then does not run out.
    public var registeredMayStillArrive: @Sendable () -> Bool

    /// Creates a slot from its three operations.
    public init(
        leave: @escaping @Sendable () -> Void,
        enter: @escaping @Sendable () async throws -> Void,
        registeredMayStillArrive: @escaping @Sendable () -> Bool
    ) {
        self.leave = leave
        self.enter = enter
        self.registeredMayStillArrive = registeredMayStillArrive
    }

    /// No window: nothing to give back, the wait is bounded by the clock alone.
    public static let none = DeliverySlot(leave: {}, enter: {}, registeredMayStillArrive: { false })
}
