import Foundation
import Kafka
import Relay
import Testing

/// The Swift decoder accepts exactly what the input schemas accept: every example the schema
/// tests (`tests/schemas`) call valid is never malformed here, every invalid one always is.
@Suite struct SchemaExamplesTests {
    static let mapper = RelayInputMapper(
        topics: RelayConfiguration.Topics(),
        qualifyingMilestones: [],
        defaultServerID: "default-server"
    )

    static func decide(_ url: URL, topic: String) throws -> RelayDecision {
        let message = KafkaConsumerMessage(
            topic: topic,
            partition: 0,
            offset: 0,
            key: nil,
            value: try ContractExamples.bytes(url),
            timestamp: KafkaTimestamp(milliseconds: 1_764_036_555_000, kind: .createTime)
        )
        return mapper.decide(message)
    }

    static let schemas = ["account-created", "milestone-reached"]

    @Test(arguments: schemas)
    func validExamplesAreNeverMalformed(schema: String) throws {
        let files = try ContractExamples.files(schema, "valid")
        #expect(files.count >= 5)
        for file in files {
            let decision = try Self.decide(file, topic: schema)
            if case .malformed(let reason) = decision {
                Issue.record("\(schema)/valid/\(file.lastPathComponent) is malformed: \(reason)")
            }
        }
    }

    @Test(arguments: schemas)
    func invalidExamplesAreAlwaysMalformed(schema: String) throws {
        let files = try ContractExamples.files(schema, "invalid")
        #expect(files.count >= 5)
        for file in files {
            let decision = try Self.decide(file, topic: schema)
            guard case .malformed(let reason) = decision else {
                Issue.record("\(schema)/invalid/\(file.lastPathComponent) is not malformed: \(decision)")
                continue
            }
            #expect(!reason.isEmpty && reason.count <= 120, "\(file.lastPathComponent): \(reason)")
        }
    }

    @Test func referredValidExamplesAreDelivered() throws {
        let file = ContractExamples.directory("account-created", "valid").appendingPathComponent("full.json")
        guard case .deliver(let request) = try Self.decide(file, topic: "account-created") else {
            Issue.record("full.json is not delivered")
            return
        }
        #expect(request.accountID == "acct-1001")
        #expect(request.serverID == "eu-1")
        #expect(request.ts == 1_795_572_555)
    }
}
