/// The slowest stretch of a rate-limited run: of every window of a fixed width that starts at an
/// event and ends by the last event, the one holding the fewest events.
struct SlowestWindow: Sendable, Hashable {
    /// Events per second in the window.
    var perSecond: Double
    /// Events in the window.
    var events: Int
    /// The window's start, milliseconds (on the clock of the times given).
    var startMilliseconds: Int64
    /// The window's width, milliseconds (the whole run when it is shorter than the width asked).
    var widthMilliseconds: Int64

    /// Finds the slowest window of `widthMilliseconds` among event times `times` (any order).
    ///
    /// A window `[start, start + width)` starts at an event; events at a steady `r` per second
    /// give `r × width` in every one. A run shorter than the width is one window from its first
    /// to its last event, rated like the whole run (events ÷ span).
    ///
    /// - Returns: `nil` for fewer than two events or a run of zero length.
    static func find(in times: [Int64], widthMilliseconds: Int64) -> SlowestWindow? {
        let sorted = times.sorted()
        guard sorted.count >= 2, let first = sorted.first, let last = sorted.last, last > first else { return nil }
        guard last - first >= widthMilliseconds, widthMilliseconds > 0 else {
            let span = last - first
            return SlowestWindow(
                perSecond: Double(sorted.count) * 1000 / Double(span), events: sorted.count,
                startMilliseconds: first, widthMilliseconds: span)
        }
        var slowest: (events: Int, start: Int64)?
        var end = 0
        for (index, start) in sorted.enumerated() where start + widthMilliseconds <= last {
            while end < sorted.count && sorted[end] < start + widthMilliseconds { end += 1 }
            let events = end - index
            if slowest.map({ events < $0.events }) ?? true { slowest = (events, start) }
        }
        guard let slowest else { return nil }
        return SlowestWindow(
            perSecond: Double(slowest.events) * 1000 / Double(widthMilliseconds), events: slowest.events,
            startMilliseconds: slowest.start, widthMilliseconds: widthMilliseconds)
    }
}
