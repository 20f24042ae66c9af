import Foundation

/// RFC 3339 date-times, parsed and written by hand: the parser runs per consumed record, and a
/// hand parser states the accepted grammar exactly (the same grammar as `date-time` in
/// `schemas/*.v1.json` and the RFC 3339 check of `tests/schemas/test_schemas.py`).
///
/// Accepted: `YYYY-MM-DD`, `T` or `t`, `hh:mm:ss`, optional `.` and one or more digits, then `Z`,
/// `z` or `+hh:mm`/`-hh:mm`. Ranges are checked (a real calendar day, hour ≤ 23, minute ≤ 59,
/// offset ≤ 23:59), and second 60 only as a leap second at 23:59 UTC, read as the next second
/// (what Unix time does).
enum RFC3339 {
    /// A parsed date-time: whole Unix seconds plus a fraction in `0..<1`.
    struct Instant: Hashable, Sendable {
        /// Seconds since the epoch, rounded down.
        var seconds: Int64
        /// The fraction of a second.
        var fraction: Double

        /// The same instant as a `Date`.
        var date: Date { Date(timeIntervalSince1970: Double(seconds) + fraction) }
    }

    /// Parses `text`; `nil` when it is not an RFC 3339 date-time.
    static func parse(_ text: String) -> Instant? {
        var text = text
        return text.withUTF8 { parse(utf8: $0) }
    }

    private static func parse(utf8 b: UnsafeBufferPointer<UInt8>) -> Instant? {
        // The fixed part is 19 bytes plus at least one for the zone.
        guard b.count >= 20 else { return nil }
        func digits(_ start: Int, _ count: Int) -> Int? {
            var value = 0
            for i in start..<(start + count) {
                let d = Int(b[i]) &- 0x30
                guard d >= 0, d <= 9 else { return nil }
                value = value * 10 + d
            }
            return value
        }
        guard let year = digits(0, 4), b[4] == UInt8(ascii: "-"), let month = digits(5, 2),
            b[7] == UInt8(ascii: "-"), let day = digits(8, 2),
            b[10] == UInt8(ascii: "T") || b[10] == UInt8(ascii: "t"),
            let hour = digits(11, 2), b[13] == UInt8(ascii: ":"), let minute = digits(14, 2),
            b[16] == UInt8(ascii: ":"), let second = digits(17, 2)
        else { return nil }
        guard (1...12).contains(month), day >= 1, day <= daysIn(month: month, year: year),
            hour <= 23, minute <= 59, second <= 60
        else { return nil }

        var index = 19
        var fraction = 0.0
        if b[index] == UInt8(ascii: ".") {
            index += 1
            var scale = 0.1
            let start = index
            while index < b.count, let d = digits(index, 1) {
                fraction += Double(d) * scale
                scale /= 10
                index += 1
            }
            guard index > start else { return nil }
            // 0.9999999999… may round up to 1 in a Double; keep the fraction below one second.
            fraction = min(fraction, 1.0.nextDown)
        }
        guard index < b.count else { return nil }
        var offsetMinutes = 0
        switch b[index] {
        case UInt8(ascii: "Z"), UInt8(ascii: "z"):
            index += 1
        case UInt8(ascii: "+"), UInt8(ascii: "-"):
            guard index + 6 == b.count, let oh = digits(index + 1, 2), b[index + 3] == UInt8(ascii: ":"),
                let om = digits(index + 4, 2), oh <= 23, om <= 59
            else { return nil }
            offsetMinutes = (oh * 60 + om) * (b[index] == UInt8(ascii: "+") ? 1 : -1)
            index += 6
        default:
            return nil
        }
        guard index == b.count else { return nil }

        let localMinutes = hour * 60 + minute
        if second == 60 {
            let utcMinuteOfDay = ((localMinutes - offsetMinutes) % 1440 + 1440) % 1440
            guard utcMinuteOfDay == 23 * 60 + 59 else { return nil }
        }
        let days = Int64(daysFromCivil(year: year, month: month, day: day))
        let seconds = days * 86_400 + Int64((localMinutes - offsetMinutes) * 60 + second)
        return Instant(seconds: seconds, fraction: fraction)
    }

    /// Writes `date` as UTC with milliseconds (`2026-11-25T02:09:15.123Z`), rounded to the nearest
    /// millisecond so that a parsed value writes back unchanged.
    static func formatMilliseconds(_ date: Date) -> String {
        formatMilliseconds(epochMilliseconds: self.epochMilliseconds(date))
    }

    /// `date` in whole milliseconds since the epoch, rounded to the nearest.
    static func epochMilliseconds(_ date: Date) -> Int64 {
        Int64((date.timeIntervalSince1970 * 1000).rounded())
    }

    /// Writes milliseconds since the epoch as UTC with milliseconds.
    static func formatMilliseconds(epochMilliseconds ms: Int64) -> String {
        var out = [UInt8]()
        out.reserveCapacity(24)
        self.appendMilliseconds(ms, to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// Appends milliseconds since the epoch as UTC with milliseconds (24 bytes) to `out`: the
    /// outcome writer puts three per record straight into its buffer, with no string between.
    static func appendMilliseconds(_ ms: Int64, to out: inout [UInt8]) {
        let (secondsTotal, millis) = floorDivMod(ms, 1000)
        let (days, secondOfDay) = floorDivMod(secondsTotal, 86_400)
        let (year, month, day) = civilFromDays(days)
        func put(_ value: Int64, width: Int) {
            var divisor: Int64 = 1
            for _ in 1..<width { divisor *= 10 }
            var v = value
            while divisor > 0 {
                out.append(UInt8(ascii: "0") + UInt8(v / divisor % 10))
                v %= divisor
                divisor /= 10
            }
        }
        put(year, width: 4)
        out.append(UInt8(ascii: "-"))
        put(month, width: 2)
        out.append(UInt8(ascii: "-"))
        put(day, width: 2)
        out.append(UInt8(ascii: "T"))
        put(secondOfDay / 3600, width: 2)
        out.append(UInt8(ascii: ":"))
        put(secondOfDay / 60 % 60, width: 2)
        out.append(UInt8(ascii: ":"))
        put(secondOfDay % 60, width: 2)
        out.append(UInt8(ascii: "."))
        put(millis, width: 3)
        out.append(UInt8(ascii: "Z"))
    }

    private static func floorDivMod(_ a: Int64, _ b: Int64) -> (Int64, Int64) {
        let q = a / b
        let r = a % b
        return r < 0 ? (q - 1, r + b) : (q, r)
    }

    private static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    // Howard Hinnant's days_from_civil / civil_from_days (proleptic Gregorian, day 0 = 1970-01-01).
    private static func daysFromCivil(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let doy = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    private static func civilFromDays(_ days: Int64) -> (Int64, Int64, Int64) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let day = doy - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        return (yoe + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }
}
