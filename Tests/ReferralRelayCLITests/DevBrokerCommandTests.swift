import Foundation
import Testing

/// `referral-relay dev-broker` from the shell: the embedded broker that the demo and newcomers
/// use, checked with kcat, a Kafka client nobody here wrote.
@Suite struct DevBrokerCommandTests {
    /// Runs `kcat` with a bounded time and returns its stdout.
    private func kcat(_ arguments: [String]) async throws -> (status: Int32, stdout: String) {
        let path = "/usr/bin/kcat"
        try #require(FileManager.default.isExecutableFile(atPath: path), "kcat is missing: run scripts/bootstrap")
        let result = try await Executable.run(executable: URL(fileURLWithPath: path), arguments, environment: nil)
        return (result.status, result.stdout)
    }

    @Test func createsTheRelaysTopicsAndExitsCleanlyOnSIGTERM() async throws {
        let broker = try await RunningProcess(
            arguments: ["dev-broker", "--partitions", "3", "--outcomes-topic", "outcomes-demo"],
            announcing: "bootstrap: "
        )
        defer { broker.terminate() }
        #expect(broker.announced.hasPrefix("127.0.0.1:"))

        let listing = try await kcat(["-b", broker.announced, "-L", "-m", "10"])
        #expect(listing.status == 0)
        for topic in ["account-created", "milestone-reached", "outcomes-demo", "referral-dlq"] {
            #expect(
                listing.stdout.contains("topic \"\(topic)\" with 3 partitions"), "\(topic) missing: \(listing.stdout)")
        }
        #expect(!listing.stdout.contains("topic \"referral-outcomes\""))

        #expect(await broker.stop() == 0)
    }

    /// `--rtt-ms` delays every answer of every broker: a metadata listing from one broker needs
    /// at least one of its answers, so it cannot take less than the delay (a lower bound only;
    /// without the delay it takes milliseconds). Each broker is asked on its own.
    @Test func delaysEveryAnswerOfEveryBroker() async throws {
        let broker = try await RunningProcess(
            arguments: ["dev-broker", "--brokers", "2", "--rtt-ms", "400"], announcing: "bootstrap: ")
        defer { broker.terminate() }
        let addresses = broker.announced.split(separator: ",").map(String.init)
        #expect(addresses.count == 2)
        for address in addresses {
            let start = ContinuousClock.now
            let listing = try await kcat(["-b", address, "-L", "-m", "10"])
            let elapsed = ContinuousClock.now - start
            #expect(listing.status == 0)
            #expect(listing.stdout.contains("2 brokers"), "\(listing.stdout)")
            #expect(elapsed >= .milliseconds(400), "\(address) listed in \(elapsed)")
        }
        #expect(await broker.stop() == 0)
    }

    @Test func refusesAnImpossibleRoundTripTime() async throws {
        let result = try await Executable.run(["dev-broker", "--rtt-ms", "10001"], environment: [:])
        #expect(result.status != 0)
        #expect(result.stderr.contains("--rtt-ms must be 0...10000"), "\(result.stderr)")
    }

    @Test func refusesAnImpossiblePartitionCount() async throws {
        let result = try await Executable.run(["dev-broker", "--partitions", "0"], environment: [:])
        #expect(result.status != 0)
        #expect(result.stderr.contains("--partitions"))
    }
}
