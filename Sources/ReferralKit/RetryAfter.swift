import Foundation

/// A `Retry-After` value: delay seconds or an HTTP-date.
public enum RetryAfter: Sendable, Hashable {
    /// Wait this many seconds.
    case seconds(Int64)
    /// Wait until this instant (unix seconds).
    case date(Int64)

    /// Parses a `Retry-After` header value (delta-seconds or IMF-fixdate / RFC 850 / asctime).
    ///
    /// - Parameter value: The header value.
    /// - Returns: The parsed value, or `nil` when it is neither form (then it is ignored).
    public init?(headerValue value: String) {
        // asctime pads single-digit days with a second space; collapse runs so one format fits.
        let trimmed = value.split(separator: " ", omittingEmptySubsequences: true).joined(separator: " ")
        if !trimmed.isEmpty, trimmed.allSatisfy({ $0.isASCII && $0.isNumber }) {
            // More digits than Int64 holds is still "a very long time": keep it, ``delay(now:maximum:)`` caps it.
            self = .seconds(Int64(trimmed) ?? .max)
            return
        }
        for format in ["EEE, dd MMM yyyy HH:mm:ss zzz", "EEEE, dd-MMM-yy HH:mm:ss zzz", "EEE MMM d HH:mm:ss yyyy"] {
            let formatter = DateFormatter()
            formatter.locale = Locale(identifier: "en_US_POSIX")
            formatter.timeZone = TimeZone(identifier: "GMT")
            formatter.dateFormat = format
            if let date = formatter.date(from: trimmed) {
                // A year with many digits parses; converting an out-of-range interval would trap.
                let seconds = date.timeIntervalSince1970.rounded(.down)
                self = .date(seconds.isFinite && abs(seconds) < 1e15 ? Int64(seconds) : (seconds < 0 ? 0 : .max))
                return
            }
        }
        return nil
    }

    /// The longest wait honoured by default: one hour. A server (or a proxy) asking for more is
    /// capped so one odd header cannot park a sender for days; the caller's own backoff and
    /// probing take over after that.
    public static let defaultMaximumDelay: Int64 = 3600

    /// The delay to wait from `now`, clamped to `0...maximum`.
    ///
    /// - Parameters:
    ///   - now: The current unix time in seconds.
    ///   - maximum: The longest delay honoured, in seconds; defaults to ``defaultMaximumDelay``.
    /// - Returns: Seconds to wait.
    public func delay(now: Int64, maximum: Int64 = RetryAfter.defaultMaximumDelay) -> Int64 {
        let requested: Int64
        switch self {
        case .seconds(let seconds):
            requested = seconds
        case .date(let instant):
            let (difference, overflow) = instant.subtractingReportingOverflow(now)
            requested = overflow ? (instant > now ? .max : 0) : difference
        }
        return min(max(0, requested), max(0, maximum))
    }
}
