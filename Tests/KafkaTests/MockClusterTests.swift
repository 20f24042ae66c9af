import Foundation
import Kafka
import Testing

/// An external client nobody here wrote (`kcat`, Debian package) talks to the embedded broker.
@Suite struct MockClusterTests {
    typealias Support = KafkaTestSupport
    static let kcat = "/usr/bin/kcat"

    /// Runs kcat with `arguments` and optional stdin, killing it after `timeout`.
    static func runKcat(_ arguments: [String], stdin: String? = nil, timeout: Duration = .seconds(15)) async throws -> (
        status: Int32, output: String
    ) {
        guard FileManager.default.isExecutableFile(atPath: kcat) else {
            Issue.record("kcat is missing at \(kcat): install the Debian package 'kcat' (scripts/bootstrap does)")
            return (-1, "")
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: kcat)
        process.arguments = arguments
        let output = Pipe()
        let input = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        process.standardInput = input
        // Runs on a Foundation thread, not the cooperative pool.
        let finished = AsyncStream<Void>.makeStream()
        process.terminationHandler = { _ in finished.continuation.finish() }
        try process.run()
        if let stdin { input.fileHandleForWriting.write(Data(stdin.utf8)) }
        try input.fileHandleForWriting.close()
        let killer = Task {
            try await Task.sleep(for: timeout)
            process.terminate()
        }
        for await _ in finished.stream {}
        killer.cancel()
        let data = try output.fileHandleForReading.readToEnd() ?? Data()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    @Test(.timeLimit(.minutes(1)))
    func kcatListsReadsAndWrites() async throws {
        let topic = Support.unique("kcat")
        let inbound = Support.unique("kcat-in")
        let cluster = try await Support.cluster(topic: topic, partitions: 1)
        try await cluster.createTopic(inbound, partitions: 1)
        #expect(cluster.bootstrapServers.hasPrefix("127.0.0.1:"))
        let producer = try Support.producer(cluster)
        try await Support.produce(producer, topic: topic, count: 3, partition: 0)

        let list = try await Self.runKcat(["-b", cluster.bootstrapServers, "-L"])
        #expect(list.status == 0)
        #expect(list.output.contains("topic \"\(topic)\" with 1 partitions"))
        #expect(list.output.contains("topic \"\(inbound)\" with 1 partitions"))

        let read = try await Self.runKcat([
            "-b", cluster.bootstrapServers, "-C", "-t", topic, "-e", "-o", "beginning", "-f", "%k %s\n", "-q",
        ])
        #expect(read.status == 0)
        // The binding sent the three concurrently, so their order in the partition may vary.
        #expect(read.output.split(separator: "\n").sorted() == ["key-0 value-0", "key-1 value-1", "key-2 value-2"])

        let write = try await Self.runKcat(
            ["-b", cluster.bootstrapServers, "-P", "-t", inbound, "-K:"],
            stdin: "player-1:first\nplayer-2:second\n"
        )
        #expect(write.status == 0)
        let consumer = try Support.consumer(cluster, group: Support.unique("group"))
        try await consumer.assign([KafkaTopicPartition(topic: inbound, partition: 0): KafkaOffset.beginning])
        let messages = try await Support.readMessages(consumer, count: 2)
        #expect(messages.map(\.keyString) == ["player-1", "player-2"])
        #expect(messages.map(\.valueString) == ["first", "second"])
        await consumer.close()
        await producer.close()
    }

    @Test func rttAndRequestErrorsAreAccepted() async throws {
        let cluster = try MockCluster(brokers: 3, logger: Support.logger)
        #expect(cluster.bootstrapServers.split(separator: ",").count == 3)
        try await cluster.setRTT(broker: 2, milliseconds: 50)
        try await cluster.pushRequestErrors(apiKey: 0, errors: [.rebalanceInProgress])
        await #expect(throws: KafkaError.self) { try await cluster.setBrokerDown(42) }
    }
}
