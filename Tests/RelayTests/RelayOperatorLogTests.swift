import Foundation
import Kafka
import Logging
import ReferralKit
import ServiceLifecycle
import Testing

@testable import Relay

/// What an operator reads in the relay's logs at the default level (info), in process on the
/// embedded broker and the sandbox: one line per dead letter naming its stage, where the record
/// was and why (never the record's key or value), and a `relay progress` summary per interval
/// that counts it with the outcomes.
@Suite(.timeLimit(.minutes(2)))
struct RelayOperatorLogTests {
    typealias H = RelayGroupHarness

    @Test func aMalformedRecordIsLoggedOnceWithItsStageAndReasonAndCounted() async throws {
        let cluster = try await H.cluster(partitions: 1)
        let secret = ReferralSecret("operator-log-\(UUID().uuidString)")
        let group = "relay-operator-log-\(UUID().uuidString)"
        // Nothing of the malformed record but where it was may reach the log.
        let badKey = "bad-key-\(UUID().uuidString)"
        let badToken = "mmref_in_a_bad_record_\(UUID().uuidString)"
        let producer = try KafkaProducer(
            configuration: KafkaProducerConfiguration(bootstrapServers: [cluster.bootstrapServers]), logger: H.logger)
        _ = try await producer.send(
            KafkaProducerRecord(
                topic: H.topics.accountCreated, key: Array(badKey.utf8),
                value: Array(#"{"account_id":7,"mmref":"\#(badToken)"}"#.utf8)))
        try await H.seed(producer, accounts: ["acct-ok"])
        await producer.close()

        let lines = LogLines()
        var logger = Logger(label: "referral-relay") { JSONLogHandler(label: $0, logLevel: .info, sink: lines.sink) }
        logger.logLevel = .info
        try await H.withSandbox(secret: secret) { _, address, _ in
            var configuration = H.configuration(cluster: cluster, group: group, sandbox: address, secret: secret)
            configuration.progressInterval = .seconds(1)
            let relay = ServiceGroup(
                services: try buildRelay(configuration: configuration, logger: logger), logger: logger)
            let run = Task { try await relay.run() }
            // Until both outcomes and the dead letter are counted in a progress line.
            let deadline = ContinuousClock.now + .seconds(60)
            while ContinuousClock.now < deadline {
                let totals = try Self.progressTotals(lines)
                if totals["dead_letters.decode"] == 1, totals["outcomes.qualified.advanced"] == 1 { break }
                try await Task.sleep(for: .milliseconds(200))
            }
            await relay.triggerGracefulShutdown()
            try await run.value
        }

        let objects = try lines.objects()
        let deadLettered = objects.filter { $0["msg"] as? String == "record dead-lettered" }
        #expect(deadLettered.count == 1, "\(deadLettered)")
        let line = try #require(deadLettered.first)
        #expect(line["level"] as? String == "warning")
        #expect(line["relay.stage"] as? String == "decode")
        #expect(line["relay.reason"] as? String == "account_id: not a string")
        #expect(line["relay.topic"] as? String == H.topics.accountCreated)
        #expect(line["relay.partition"] as? String == "0")
        #expect(line["relay.offset"] as? String == "0")
        #expect(line["relay.dlq_topic"] as? String == H.topics.dlq)
        #expect(!lines.text.contains(badToken), "the record's value reached the log")
        #expect(!lines.text.contains(badKey), "the record's key reached the log")

        // The summaries, the last one written at shutdown, count each thing once.
        let totals = try Self.progressTotals(lines)
        #expect(totals["read"] == 3)
        #expect(totals["dead_letters.decode"] == 1)
        #expect(totals["dead_letters.deliver"] == nil)
        #expect(totals["outcomes.registered.advanced"] == 1)
        #expect(totals["outcomes.qualified.advanced"] == 1)
        let progress = objects.filter { $0["msg"] as? String == "relay progress" }
        #expect(progress.count >= 2)
        #expect(progress.allSatisfy { $0["level"] as? String == "info" })
    }

    /// The counts of every `relay progress` line so far, added up, by dotted path
    /// (`outcomes.registered.advanced`, `dead_letters.decode`, `read`).
    static func progressTotals(_ lines: LogLines) throws -> [String: Int] {
        var totals: [String: Int] = [:]
        func add(_ value: Any, at path: String) {
            if let text = value as? String, let count = Int(text) {
                totals[path, default: 0] += count
            } else if let object = value as? [String: Any] {
                for (key, child) in object { add(child, at: "\(path).\(key)") }
            }
        }
        for object in try lines.objects() where object["msg"] as? String == "relay progress" {
            add(object["relay.read"] as Any, at: "read")
            add(object["relay.outcomes"] as Any, at: "outcomes")
            add(object["relay.retries"] as Any, at: "retries")
            add(object["relay.dead_letters"] as Any, at: "dead_letters")
            add(object["relay.skipped"] as Any, at: "skipped")
        }
        return totals
    }
}
