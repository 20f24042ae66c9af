/// Runs work items with a bounded number in flight: the shape of the relay's window and of
/// "many sends in flight, each awaited".
enum BoundedConcurrency {
    /// Calls `body` for every index in `0..<count`, at most `window` at a time; returns once all
    /// finished.
    ///
    /// - Throws: The first error a call throws (the rest are cancelled).
    static func forEach(
        _ count: Int,
        window: Int,
        _ body: @escaping @Sendable (Int) async throws -> Void
    ) async throws {
        guard count > 0 else { return }
        try await withThrowingTaskGroup(of: Void.self) { group in
            var next = 0
            while next < min(count, max(1, window)) {
                let index = next
                group.addTask { try await body(index) }
                next += 1
            }
            while try await group.next() != nil {
                if next < count {
                    let index = next
                    group.addTask { try await body(index) }
                    next += 1
                }
            }
        }
    }
}
