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
        if !trimmed.isEmpty, trimmed.allSatisfy({ $0.isASCII && $0.isNumber }), let seconds = Int64(trimmed) {
            self = .seconds(seconds)
            return
        }
        for format in ["EEE, dd MMM yyyy HH:mm:ss zzz", "EEEE, dd-MMM-yy HH:mm:ss zzz", "EEE MMM d HH:mm:ss yyyy"] {
            let formatter = DateFormatter()
            formatter.locale = Locale(identifier: "en_US_POSIX")
            formatter.timeZone = TimeZone(identifier: "GMT")
            formatter.dateFormat = format
            if let date = formatter.date(from: trimmed) {
                self = .date(Int64(date.timeIntervalSince1970))
                return
            }
        }
        return nil
    }

    /// The delay to wait from `now`, never negative.
    ///
    /// - Parameter now: The current unix time in seconds.
    /// - Returns: Seconds to wait.
    public func delay(now: Int64) -> Int64 {
        switch self {
        case .seconds(let seconds): max(0, seconds)
        case .date(let instant): max(0, instant - now)
        }
    }
}
