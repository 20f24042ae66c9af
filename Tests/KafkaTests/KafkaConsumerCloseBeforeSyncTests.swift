import Kafka
import Testing

@testable import Kafka

/// A group member stopped after its JoinGroup was answered and before its first assignment.
/// librdkafka 2.0.2 aborts the process when such a handle is destroyed (issue 4312: the
/// cooperative-sticky assignor's state is freed unchecked, and it exists only once an assignment
/// came); the soak run of the fifteenth session found a relay stopped during its first
/// rebalance exiting on SIGABRT. The consumer now leaves such a handle to the process's exit.
@Suite struct KafkaConsumerCloseBeforeSyncTests {
    typealias Support = KafkaTestSupport

    @Test(.timeLimit(.minutes(1)))
    func aMemberClosedBetweenItsJoinAndItsFirstAssignmentDoesNotAbort() async throws {
        let topic = Support.unique("close-before-sync")
        let cluster = try await Support.cluster(topic: topic, partitions: 2)
        // Every SyncGroup is refused: the member's JoinGroup is answered (librdkafka chooses the
        // assignor), and no assignment ever comes.
        try await cluster.pushRequestErrors(apiKey: 14, errors: Array(repeating: .rebalanceInProgress, count: 500))
        var configuration = Support.consumerConfiguration(cluster, group: Support.unique("close-before-sync"))
        configuration.assignor = .cooperativeSticky
        let consumer = try KafkaConsumer(configuration: configuration, logger: Support.logger)
        try await consumer.subscribe(topics: [topic])
        let deadline = ContinuousClock.now + .seconds(20)
        while !consumer.groupJoin.current.joinAnswered, ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(50))
        }
        // The window the abort needs, reached for real.
        #expect(consumer.groupJoin.current.joinAnswered)
        #expect(consumer.groupJoin.current.destroyMayAbort(groupLeft: true))

        await consumer.close()
        // The poll thread ends its statistics stream once the handle is destroyed (or left):
        // before the fix the process aborted here.
        let ended = await withTaskGroup(of: Bool.self) { group in
            group.addTask {
                for await _ in consumer.statistics {}
                return true
            }
            group.addTask {
                try? await Task.sleep(for: .seconds(20))
                return false
            }
            let first = await group.next() ?? false
            group.cancelAll()
            return first
        }
        #expect(ended, "the poll thread did not finish within 20 s")
        // Still in the window when the handle went: it was left, not destroyed.
        #expect(consumer.groupJoin.current.destroyMayAbort(groupLeft: true))
    }
}
