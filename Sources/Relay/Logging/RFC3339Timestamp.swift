#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Formats the wall clock as RFC 3339 in UTC with milliseconds (`2026-11-25T02:12:17.123Z`).
///
/// Built from `clock_gettime` and `gmtime_r` rather than a Foundation formatter: it runs on every
/// log line, from any thread, and needs neither locale nor time zone.
enum RFC3339Timestamp {
    /// The current time.
    static func now() -> String {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        return self.format(seconds: Int(spec.tv_sec), milliseconds: Int(spec.tv_nsec) / 1_000_000)
    }

    /// The given time since the Unix epoch.
    static func format(seconds: Int, milliseconds: Int) -> String {
        var time = time_t(seconds)
        var parts = tm()
        gmtime_r(&time, &parts)
        var text = ""
        text.reserveCapacity(24)
        self.append(Int(parts.tm_year) + 1900, width: 4, to: &text)
        text += "-"
        self.append(Int(parts.tm_mon) + 1, width: 2, to: &text)
        text += "-"
        self.append(Int(parts.tm_mday), width: 2, to: &text)
        text += "T"
        self.append(Int(parts.tm_hour), width: 2, to: &text)
        text += ":"
        self.append(Int(parts.tm_min), width: 2, to: &text)
        text += ":"
        self.append(Int(parts.tm_sec), width: 2, to: &text)
        text += "."
        self.append(milliseconds, width: 3, to: &text)
        text += "Z"
        return text
    }

    private static func append(_ value: Int, width: Int, to text: inout String) {
        let digits = String(value)
        if digits.count < width { text += String(repeating: "0", count: width - digits.count) }
        text += digits
    }
}
