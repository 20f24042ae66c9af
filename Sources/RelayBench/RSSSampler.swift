import Foundation
import Synchronization

/// Samples a process's resident set size (`VmRSS` in `/proc/<pid>/status`) every 100 ms.
final class RSSSampler: Sendable {
    /// One reading.
    struct Sample: Sendable {
        /// Wall clock, microseconds since the epoch.
        var microseconds: Int64
        /// Resident set size in KiB.
        var kilobytes: Int
    }

    private let pid: Int32
    private let samples = Mutex<[Sample]>([])

    /// Creates a sampler for `pid` (not sampling yet).
    init(pid: Int32) {
        self.pid = pid
    }

    /// Samples until the task is cancelled or the process is gone.
    func run() async {
        while !Task.isCancelled {
            guard let kilobytes = Self.residentKilobytes(pid: self.pid) else { return }
            let sample = Sample(microseconds: WallClock.microseconds(), kilobytes: kilobytes)
            self.samples.withLock { $0.append(sample) }
            try? await Task.sleep(for: .milliseconds(100))
        }
    }

    /// Samples taken between two wall-clock instants (µs).
    func samples(from start: Int64, to end: Int64) -> [Sample] {
        self.samples.withLock { $0.filter { $0.microseconds >= start && $0.microseconds <= end } }
    }

    /// The `VmRSS` of a process in KiB, or `nil` when it is gone.
    static func residentKilobytes(pid: Int32) -> Int? {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return nil }
        for line in text.split(separator: "\n") where line.hasPrefix("VmRSS:") {
            return Int(line.dropFirst(6).trimmingCharacters(in: .whitespaces).split(separator: " ").first ?? "")
        }
        return nil
    }
}
