import ArgumentParser
import Kafka
import Logging
import ServiceLifecycle

/// `referral-relay dev-broker`: the embedded Kafka broker for the demo, tests and newcomers.
///
/// Starts librdkafka's mock cluster on loopback, creates the relay's default topics, prints
/// exactly one stdout line `bootstrap: 127.0.0.1:PORT[,...]` and runs until SIGINT/SIGTERM.
struct DevBrokerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dev-broker",
        abstract: "Run an embedded Kafka broker (librdkafka's mock cluster) on loopback."
    )

    @Option(help: "Number of brokers in the cluster.")
    var brokers: Int = 1

    @Option(help: "Partitions per topic.")
    var partitions: Int = 6

    @Option(
        help: ArgumentHelp(
            "Delay every answer of every broker by this many milliseconds (librdkafka's mock round-trip time).",
            discussion: "0, the default, answers at once; 20 is a cluster in another zone with acks=all."
        )
    )
    var rttMs: Int = 0

    @Option(help: "Topic of account-created events.")
    var accountCreatedTopic: String = "account-created"

    @Option(help: "Topic of milestone-reached events.")
    var milestoneReachedTopic: String = "milestone-reached"

    @Option(help: "Topic the relay publishes outcomes to.")
    var outcomesTopic: String = "referral-outcomes"

    @Option(help: "Dead-letter topic.")
    var deadLetterTopic: String = "referral-dlq"

    @Option(help: "The referee store's topic (compacted on a real cluster).")
    var refereesTopic: String = "referral-referees"

    func validate() throws {
        guard (1...16).contains(brokers) else { throw ValidationError("--brokers must be 1...16") }
        guard (1...1024).contains(partitions) else { throw ValidationError("--partitions must be 1...1024") }
        guard (0...10_000).contains(rttMs) else { throw ValidationError("--rtt-ms must be 0...10000") }
    }

    func run() async throws {
        let logger = Logger(label: "referral-relay.dev-broker", factory: { StreamLogHandler.standardError(label: $0) })
        let topics = [accountCreatedTopic, milestoneReachedTopic, outcomesTopic, deadLetterTopic, refereesTopic]
        let service = try await DevBrokerService.start(
            brokers: brokers,
            topics: topics,
            partitions: partitions,
            rttMilliseconds: rttMs,
            logger: logger
        )
        DevBrokerService.printBootstrap(service.bootstrapServers)
        DevBrokerService.printHints(bootstrap: service.bootstrapServers, topics: topics)
        let group = ServiceGroup(
            configuration: .init(
                services: [.init(service: service)],
                gracefulShutdownSignals: [.sigterm, .sigint],
                logger: logger
            )
        )
        try await group.run()
    }
}
