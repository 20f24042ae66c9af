import Foundation
import Testing

/// `referral-relay dev-broker` from the shell: the embedded broker that the demo and newcomers
/// use, checked with kcat, a Kafka client nobody here wrote.
@Suite struct DevBrokerCommandTests {
    /// Runs `kcat` with a bounded time and returns its stdout.
    private func kcat(_ arguments: [String]) throws -> (status: Int32, stdout: String) {
        let path = "/usr/bin/kcat"
        try #require(FileManager.default.isExecutableFile(atPath: path), "kcat is missing: run scripts/bootstrap")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = arguments
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        try process.run()
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: stdout, as: UTF8.self))
    }

    @Test func createsTheRelaysTopicsAndExitsCleanlyOnSIGTERM() throws {
        let broker = try RunningProcess(
            arguments: ["dev-broker", "--partitions", "3", "--outcomes-topic", "outcomes-demo"],
            announcing: "bootstrap: "
        )
        defer { broker.stop() }
        #expect(broker.announced.hasPrefix("127.0.0.1:"))

        let listing = try kcat(["-b", broker.announced, "-L", "-m", "10"])
        #expect(listing.status == 0)
        for topic in ["account-created", "milestone-reached", "outcomes-demo", "referral-dlq"] {
            #expect(
                listing.stdout.contains("topic \"\(topic)\" with 3 partitions"), "\(topic) missing: \(listing.stdout)")
        }
        #expect(!listing.stdout.contains("topic \"referral-outcomes\""))

        #expect(broker.stop() == 0)
    }

    @Test func refusesAnImpossiblePartitionCount() throws {
        let result = try Executable.run(["dev-broker", "--partitions", "0"], environment: [:])
        #expect(result.status != 0)
        #expect(result.stderr.contains("--partitions"))
    }
}
