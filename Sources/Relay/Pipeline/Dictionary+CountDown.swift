extension Dictionary where Value == Int {
    /// Counts one `key` out of a tally of positive counts, dropping the key at zero (a tally
    /// lists only what is still counted: its keys are what is held, started or waiting).
    ///
    /// - Returns: How many are left.
    @discardableResult
    mutating func countDown(_ key: Key) -> Int {
        assert(self[key] != nil, "counted out more often than in")
        let left = self[key, default: 1] - 1
        self[key] = left > 0 ? left : nil
        return left
    }
}
