import Synchronization

extension DeliveryHarness {
    /// A value shared between test tasks, behind a `Mutex` (a class, so escaping closures can
    /// capture it).
    final class Locked<Value: Sendable>: Sendable {
        private let value: Mutex<Value>

        init(_ value: Value) {
            self.value = Mutex(value)
        }

        /// Runs `body` with exclusive access.
        func withLock<Result: Sendable>(_ body: (inout Value) -> Result) -> Result {
            self.value.withLock { body(&$0) }
        }

        /// The current value.
        var current: Value { self.value.withLock { $0 } }
    }
}
