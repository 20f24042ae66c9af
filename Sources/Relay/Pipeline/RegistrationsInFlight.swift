/// The `registered` events of accounts the referee store does not know, from the start of
/// their delivery until it ends, and which of them have taken long enough to need a `pending`
/// record (see ``RelayPipeline/recordInStore(_:_:)`` for why a slow one needs it).
///
/// A value, kept under ``RelayPipeline``'s lock and tested with plain values: one look every
/// 50 ms (``RelayPipeline/slowRegistrationLoop()``) claims the deliveries older than the
/// threshold and writes their `pending` records; a delivery that ends first was never claimed
/// and writes only how it ended. Before this, each such `registered` ran its store writes in a
/// second task beside the delivery, with an event-loop timer per event to notice a slow one:
/// 12% of the relay's CPU against the in-repo nginx sink (docs/DESIGN.md).
///
/// `Registration` is what the `pending` write needs (a delivery request); `Signal` is how a
/// delivery that ends after being claimed waits for that write (its `pending` must be written
/// before its ending: same key, in order).
struct RegistrationsInFlight<Registration: Sendable, Signal: Sendable>: Sendable {
    /// One delivery being watched.
    private struct Entry: Sendable {
        var registration: Registration
        var since: ContinuousClock.Instant
        /// Set once claimed: the `pending` write's signal.
        var claimed: Signal?
    }

    private var entries: [UInt64: Entry] = [:]
    private var nextID: UInt64 = 0

    /// Deliveries being watched.
    var count: Int { self.entries.count }

    /// A delivery of `registration` starts at `now`.
    ///
    /// - Returns: Its key, for ``end(_:)``.
    mutating func start(_ registration: Registration, at now: ContinuousClock.Instant) -> UInt64 {
        let id = self.nextID
        self.nextID += 1
        self.entries[id] = Entry(registration: registration, since: now, claimed: nil)
        return id
    }

    /// Claims every delivery started at least `threshold` before `now` and not claimed yet.
    ///
    /// - Parameter signal: Makes the signal a claimed delivery's `pending` write will give.
    /// - Returns: What to write as `pending`, each with the signal to give once it is written.
    mutating func claim(
        olderThan threshold: Duration, now: ContinuousClock.Instant, signal: () -> Signal
    ) -> [(registration: Registration, signal: Signal)] {
        var due: [(registration: Registration, signal: Signal)] = []
        for (id, entry) in self.entries where entry.claimed == nil && now - entry.since >= threshold {
            let made = signal()
            self.entries[id]?.claimed = made
            due.append((entry.registration, made))
        }
        return due
    }

    /// The delivery `id` ended (answered, failed or cancelled).
    ///
    /// - Returns: The signal of its `pending` write when it was claimed (its ending must wait
    ///   for that write), `nil` when it ended in time and has nothing to wait for.
    mutating func end(_ id: UInt64) -> Signal? {
        self.entries.removeValue(forKey: id)?.claimed
    }
}
