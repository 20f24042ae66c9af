import ArgumentParser
import AsyncHTTPClient
import Foundation
import Kafka
import Logging

/// `referral-relay-bench`: the benchmark suite of issue 9. Each row measures the relay (or the
/// way it uses a dependency) next to that stage's ceiling on this machine, on the embedded broker
/// and an in-process instant sink, then prints a table and exits non-zero naming any row whose
/// counts were wrong.
@main
struct RelayBenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "referral-relay-bench",
        abstract: "Benchmarks the relay next to its ceilings on the embedded broker (run it from scripts/bench)."
    )

    @Option(help: "Multiply every row's size by this factor (0.02 for CI).")
    var scale: Double = 1

    // Built from `BenchRow`, so a new row is in the help without an edit here (row 10 was not).
    @Option(
        help: """
            Run only these rows: numbers 1-\(BenchRow.allCases.count) or names \
            \(BenchRow.allCases.map(\.name).joined(separator: ",")) \
            (rows 5 and 8 take row 4's rate as their ceiling when it runs too).
            """)
    var only: String?

    @Option(help: "Also write every number and the configuration to this JSON file.")
    var json: String?

    @Option(help: "Offered load of the latency row, events per second.")
    var rate: Int = 1000

    @Option(help: "Duration of the latency row's load at scale 1, seconds (scaled, at least 2).")
    var latencySeconds: Double = 20

    @Option(help: "The referral-relay executable for the RSS row (default: next to this one).")
    var relayExecutable: String?

    func validate() throws {
        guard self.scale > 0 else { throw ValidationError("--scale must be positive") }
        guard self.rate > 0 else { throw ValidationError("--rate must be positive") }
        if let only { _ = try BenchRow.parse(only) }
    }

    func run() async throws {
        let rows = try self.only.map(BenchRow.parse) ?? BenchRow.allCases
        var logger = Logger(label: "referral-relay-bench", factory: { StreamLogHandler.standardError(label: $0) })
        logger.logLevel = .error
        let httpClient = HTTPClient(eventLoopGroupProvider: .singleton)
        let context = BenchContext(
            sizes: BenchSizes(scale: self.scale, latencyRate: self.rate, latencySeconds: self.latencySeconds),
            logger: logger,
            httpClient: httpClient,
            relayExecutable: self.relayExecutable ?? Self.siblingExecutable("referral-relay")
        )
        var report = BenchReport(
            date: ISO8601DateFormatter().string(from: Date()),
            command: CommandLine.arguments.joined(separator: " "),
            machine: Self.machine(),
            sizes: context.sizes,
            rows: []
        )
        var liveRate: Double?
        for row in rows.sorted(by: { $0.rawValue < $1.rawValue }) {
            Self.progress("row \(row.stage) ...")
            let start = ContinuousClock.now
            let result: RowResult
            do {
                switch row {
                case .consume: result = try await ConsumeBench(context: context).run()
                case .publish: result = try await PublishBench(context: context).run()
                case .http: result = try await HTTPBench(context: context).run()
                case .relay:
                    let (measured, rate) = try await RelayThroughputBench(context: context).live()
                    liveRate = rate
                    result = measured
                case .coldBacklog: result = try await RelayThroughputBench(context: context).cold(liveRate: liveRate)
                case .latency: result = try await LatencyBench(context: context).run()
                case .rss: result = try await RSSBench(context: context).run()
                case .backfill: result = try await BackfillBench(context: context).full(liveRate: liveRate)
                case .backfillRate: result = try await BackfillBench(context: context).limited()
                case .refereeRestore: result = try await RefereeRestoreBench(context: context).run()
                case .outage: result = try await OutageBench(context: context).run(liveRate: liveRate)
                case .farBrokers: result = try await FarBrokersBench(context: context).run()
                case .wideWindow: result = try await WideWindowBench(context: context).run()
                }
            } catch {
                result = RowResult(
                    row: row, stage: row.stage, what: "-", result: "-", ceiling: "-", ratio: nil, numbers: [:],
                    notes: [], failure: "\(error)")
            }
            Self.progress(
                "row \(row.stage): \(result.failure.map { "FAILED: \($0)" } ?? result.result) "
                    + "(\(String(format: "%.1f", (ContinuousClock.now - start).seconds)) s)")
            report.rows.append(result)
        }
        try? await httpClient.shutdown()
        report.machine["loadavg_end"] = Self.loadAverage()
        print(report.table())
        if let json {
            try report.json().write(to: URL(fileURLWithPath: json))
        }
        let failures = report.failures
        if !failures.isEmpty {
            Self.progress(
                "failed rows: " + failures.map { "\($0.stage) (\($0.failure ?? ""))" }.joined(separator: "; "))
            throw ExitCode.failure
        }
    }

    private static func progress(_ line: String) {
        FileHandle.standardError.write(Data("[bench] \(line)\n".utf8))
    }

    /// A file next to this executable (SwiftPM puts every product of a build in one folder).
    private static func siblingExecutable(_ name: String) -> String {
        let own = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        return own.deletingLastPathComponent().appendingPathComponent(name).path
    }

    /// `/proc/loadavg` (other work on the machine skews every row).
    private static func loadAverage() -> String {
        let text = (try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8)) ?? ""
        return text.split(separator: " ").prefix(3).joined(separator: " ")
    }

    private static func machine() -> [String: String] {
        var info = [
            "cores": "\(ProcessInfo.processInfo.activeProcessorCount)",
            "librdkafka": Kafka.librdkafkaVersion,
            "os": ProcessInfo.processInfo.operatingSystemVersionString,
            "loadavg_start": Self.loadAverage(),
        ]
        #if DEBUG
            info["build"] = "debug"
        #else
            info["build"] = "release"
        #endif
        return info
    }
}
