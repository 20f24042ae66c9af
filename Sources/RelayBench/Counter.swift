import Synchronization

/// A shared integer counter for concurrent tasks.
final class Counter: Sendable {
    private let value = Atomic<Int>(0)

    /// Adds one; returns the new value.
    @discardableResult
    func increment() -> Int {
        self.value.add(1, ordering: .relaxed).newValue
    }

    /// The current value.
    var current: Int { self.value.load(ordering: .relaxed) }
}
