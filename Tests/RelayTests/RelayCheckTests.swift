import Kafka
import Testing

@testable import Relay

/// ``RelayCheck``'s report, from plain values (the checks themselves run against the embedded
/// broker and the sandbox in `CheckCommandTests`).
@Suite struct RelayCheckTests {
    @Test func unreachableBrokersAreNamedWithTheWaitAndTheLastConnectionError() {
        let detail = RelayCheck.unreachableDetail(
            brokers: "kafka-0:9092,kafka-1:9092",
            error: KafkaError(
                code: .transport, reason: "metadata for account-created: Local: Broker transport failure"),
            connection: KafkaError(
                code: .transport,
                reason: "kafka-0:9092/bootstrap: Connect to ipv4#10.0.3.7:9092 failed: Connection refused"),
            timeout: .seconds(10))
        #expect(
            detail
                == "kafka-0:9092,kafka-1:9092: no metadata within 10 s (_TRANSPORT: metadata for account-created: "
                + "Local: Broker transport failure); last connection error: kafka-0:9092/bootstrap: "
                + "Connect to ipv4#10.0.3.7:9092 failed: Connection refused")
    }

    @Test func anotherMetadataErrorIsNotCalledAWaitAndStandsAloneWithoutAConnectionError() {
        let detail = RelayCheck.unreachableDetail(
            brokers: "kafka-0:9092",
            error: KafkaError(code: .rebalanceInProgress, reason: "metadata for account-created: rebalancing"),
            connection: nil,
            timeout: .seconds(10))
        #expect(
            detail
                == "kafka-0:9092: the metadata request failed (REBALANCE_IN_PROGRESS: metadata for account-created: "
                + "rebalancing)")
    }

    /// Operators whose ACLs name groups literally must allow the check's own group: its row says
    /// which one, and a refusal of that group says why it is not the relay's.
    @Test func theCommitCheckNamesTheCheckGroupAndExplainsAnAuthorizationFailure() {
        #expect(RelayCheck.commitCheckName(live: "referral-relay") == "commit to group referral-relay-check")
        let refused = RelayCheck.commitFailureDetail(
            group: "referral-relay-check",
            error: KafkaError(code: .init(rawValue: 30), reason: "commit: Broker: Group authorization failed"))
        #expect(
            refused
                == "referral-relay-check: GROUP_AUTHORIZATION_FAILED: commit: Broker: Group authorization failed "
                + "(the check's own group, not the relay's: a literal group ACL must also allow Read on "
                + "referral-relay-check, or use one ACL prefixed with the relay's group id)")
        let other = RelayCheck.commitFailureDetail(
            group: "referral-relay-check",
            error: KafkaError(code: .rebalanceInProgress, reason: "commit: rebalancing"))
        #expect(other == "referral-relay-check: REBALANCE_IN_PROGRESS: commit: rebalancing")
    }

    @Test func theTableSaysFailedInCapitalsAndPadsTheColumns() {
        let table = RelayCheck.table([
            .init("kafka brokers", .failed, "kafka-0:9092: no metadata within 10 s"),
            .init("kafka producer", .skipped, "brokers unreachable"),
        ])
        #expect(
            table == """
                CHECK           RESULT   DETAIL
                kafka brokers   FAILED   kafka-0:9092: no metadata within 10 s
                kafka producer  skipped  brokers unreachable

                """)
    }
}
