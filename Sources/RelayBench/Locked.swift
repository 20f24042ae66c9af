import Synchronization

/// A value behind a lock, shareable with `@Sendable` closures (a `Mutex` cannot be captured).
final class Locked<Value: Sendable>: Sendable {
    private let mutex: Mutex<Value>

    /// Creates the box.
    init(_ value: Value) {
        self.mutex = Mutex(value)
    }

    /// Runs `body` with the value locked.
    func withLock<Result: Sendable>(_ body: (inout Value) -> Result) -> Result {
        self.mutex.withLock { body(&$0) }
    }
}
