import Foundation
import Kafka
import Relay
import Testing

/// `referral-relay dlq list` and `dlq redrive` as a user runs them: the built executable
/// against an embedded broker hosted by the test process.
@Suite(.timeLimit(.minutes(2))) struct DLQCommandTests {
    /// A broker with the relay's topics (dead-letter topic: 2 partitions) and `count` dead
    /// letters of account-created records, alternating stages (even: decode, odd: deliver).
    static func broker(deadLetters count: Int) async throws -> MockCluster {
        let cluster = try MockCluster(brokers: 1, logger: KafkaFixtures.logger)
        try await cluster.createTopic("account-created", partitions: 3)
        try await cluster.createTopic("milestone-reached", partitions: 3)
        try await cluster.createTopic("referral-dlq", partitions: 2)
        let producer = try KafkaFixtures.producer(cluster)
        for index in 0..<count {
            let original = KafkaConsumerMessage(
                topic: "account-created", partition: Int32(index % 3), offset: Int64(100 + index),
                key: Array("acct-\(index)".utf8), value: Array(#"{"account_id":"acct-\#(index)"}"#.utf8),
                headers: [KafkaHeader(key: "traceparent", value: Array("t-\(index)".utf8))])
            let decode = index.isMultiple(of: 2)
            var record = DeadLetter.record(
                for: original, topic: "referral-dlq", stage: decode ? .decode : .deliver,
                reason: decode ? "mmref: must be a string" : "unknown token", httpStatus: decode ? nil : 404)
            record.partition = Int32(index % 2)
            _ = try await producer.send(record)
        }
        await producer.close()
        return cluster
    }

    static func environment(_ cluster: MockCluster) -> [String: String] {
        ["KAFKA_BROKERS": cluster.bootstrapServers, "RDKAFKA_FETCH_WAIT_MAX_MS": "50"]
    }

    @Test func listPrintsOneJSONObjectPerDeadLetter() async throws {
        let cluster = try await Self.broker(deadLetters: 3)
        let result = try await Executable.run(
            ["dlq", "list", "--format", "json"], environment: Self.environment(cluster))
        #expect(result.status == 0, "\(result.stderr)")
        let lines = result.stdout.split(separator: "\n")
        #expect(lines.count == 3)
        let objects = try lines.map {
            try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])
        }
        let byKey = Dictionary(uniqueKeysWithValues: objects.map { ($0["key"] as? String ?? "", $0) })
        let deliver = try #require(byKey["acct-1"])
        #expect(deliver["stage"] as? String == "deliver")
        #expect(deliver["reason"] as? String == "unknown token")
        #expect(deliver["http_status"] as? Int == 404)
        #expect(deliver["topic"] as? String == "account-created")
        #expect(deliver["partition"] as? Int == 1)
        #expect(deliver["offset"] as? Int == 101)
        #expect(deliver["dlq_partition"] as? Int == 1)
        #expect(deliver["dlq_offset"] as? Int == 0)
        let timestamp = try #require(deliver["timestamp"] as? String)
        #expect(timestamp.hasSuffix("Z") && timestamp.count == 24)
        #expect(byKey["acct-0"]?["stage"] as? String == "decode")
        #expect(byKey["acct-0"]?["http_status"] is NSNull)
        #expect(result.stderr.contains("3 dead letter(s) shown of 3 read"))

        let decodes = try await Executable.run(
            ["dlq", "list", "--format", "json", "--stage", "decode", "--reason", "^mmref"],
            environment: Self.environment(cluster))
        #expect(decodes.stdout.split(separator: "\n").count == 2)
        let limited = try await Executable.run(["dlq", "list", "--limit", "1"], environment: Self.environment(cluster))
        #expect(limited.stdout.split(separator: "\n").count == 3)  // header, one row, the count
        #expect(limited.stdout.hasPrefix("TIME"))
    }

    @Test func exitStatusesNameWhatIsWrong() async throws {
        let cluster = try await Self.broker(deadLetters: 0)
        let badRegex = try await Executable.run(
            ["dlq", "list", "--reason", "(oops"], environment: Self.environment(cluster))
        #expect(badRegex.status == 64)
        #expect(badRegex.stderr.contains("--reason is not a valid regular expression"))
        let badTime = try await Executable.run(
            ["dlq", "redrive", "--from", "today"], environment: Self.environment(cluster))
        #expect(badTime.status == 64)
        #expect(badTime.stderr.contains("--from must be an RFC 3339 date-time"))
        let noBrokers = try await Executable.run(["dlq", "redrive"], environment: [:])
        #expect(noBrokers.status == 78)
        #expect(noBrokers.stderr.contains("KAFKA_BROKERS"))
        var missing = Self.environment(cluster)
        missing["RELAY_TOPIC_DLQ"] = "nope"
        let noTopic = try await Executable.run(["dlq", "redrive"], environment: missing)
        #expect(noTopic.status == 1)
        #expect(noTopic.stderr.contains("the dead-letter topic 'nope' does not exist"))
        var secret = Self.environment(cluster)
        secret["RDKAFKA_SASL_PASSWORD"] = "hunter2-very-secret"
        let withSecret = try await Executable.run(["dlq", "list", "--format", "json"], environment: secret)
        #expect(!(withSecret.stdout + withSecret.stderr).contains("hunter2-very-secret"))
    }

    @Test func redriveKilledWithSIGKILLResumesWithTheSameCommand() async throws {
        let count = 24
        let cluster = try await Self.broker(deadLetters: count)
        let arguments = ["dlq", "redrive", "--name", "crash", "--rate", "30"]
        let process = Process()
        process.executableURL = try Executable.url()
        process.arguments = arguments
        process.environment = Self.environment(cluster)
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        let reader = try await TopicReader(cluster, topics: ["account-created": 3])
        let some = try await reader.read(timeout: .seconds(20)) { $0.count >= 6 }
        kill(process.processIdentifier, SIGKILL)
        await process.exited()
        try #require(some, "the first run produced nothing")
        #expect(process.terminationReason == .uncaughtSignal)

        let resumed = try await Executable.run(arguments, environment: Self.environment(cluster))
        #expect(resumed.status == 0, "\(resumed.stderr)")
        let produced = try await reader.readAll(expecting: count, timeout: .seconds(20))
        await reader.close()
        let sources = produced.compactMap { $0.header("referral-relay.redrive.source") }
        #expect(Set(sources).count == count)
        // Paced runs commit behind every acknowledged record: a kill -9 repeats at most the one
        // record acknowledged but not yet committed.
        #expect(produced.count <= count + 1, "\(produced.count - count) duplicate(s)")
    }

    @Test func redriveStoppedWithSIGTERMCommitsWhatItProducedAndResumesWithoutRepeats() async throws {
        // 3 s at 30/s: a loaded machine that reads the first records late still signals mid-run.
        let count = 90
        let cluster = try await Self.broker(deadLetters: count)
        let arguments = ["dlq", "redrive", "--name", "term", "--rate", "30"]
        let process = Process()
        process.executableURL = try Executable.url()
        process.arguments = arguments
        process.environment = Self.environment(cluster)
        let errors = Pipe()
        process.standardOutput = FileHandle.nullDevice
        process.standardError = errors
        try process.run()
        let reader = try await TopicReader(cluster, topics: ["account-created": 3])
        try #require(try await reader.read(timeout: .seconds(20)) { $0.count >= 6 }, "the first run produced nothing")
        process.terminate()
        let handle = errors.fileHandleForReading
        let stderr = String(decoding: try await offThePool { handle.readDataToEndOfFile() }, as: UTF8.self)
        await process.exited()
        #expect(process.terminationStatus == 1)
        #expect(stderr.contains("stopped by a signal"), "\(stderr)")

        let resumed = try await Executable.run(arguments, environment: Self.environment(cluster))
        #expect(resumed.status == 0, "\(resumed.stderr)")
        let produced = try await reader.readAll(expecting: count, timeout: .seconds(20))
        await reader.close()
        #expect(Set(produced.compactMap { $0.header("referral-relay.redrive.source") }).count == count)
        #expect(produced.count == count)
    }
}
