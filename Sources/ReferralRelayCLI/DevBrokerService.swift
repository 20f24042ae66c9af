import Foundation
import Kafka
import Logging
import ServiceLifecycle

/// Keeps a ``MockCluster`` alive until graceful shutdown.
struct DevBrokerService: Service {
    let cluster: MockCluster
    let logger: Logger

    var bootstrapServers: String { cluster.bootstrapServers }

    /// Starts the cluster and creates `topics` with `partitions` partitions each; every broker
    /// answers `rttMilliseconds` late (0: at once).
    static func start(
        brokers: Int, topics: [String], partitions: Int, rttMilliseconds: Int = 0, logger: Logger
    ) async throws -> DevBrokerService {
        let cluster = try MockCluster(brokers: brokers, logger: logger)
        if rttMilliseconds > 0 {
            for broker in 1...brokers {
                try await cluster.setRTT(broker: Int32(broker), milliseconds: rttMilliseconds)
            }
        }
        for topic in topics {
            try await cluster.createTopic(topic, partitions: partitions, replicationFactor: min(brokers, 3))
        }
        logger.info(
            "Embedded broker started",
            metadata: ["kafka.bootstrap": "\(cluster.bootstrapServers)", "kafka.topics": "\(topics)"]
        )
        return DevBrokerService(cluster: cluster, logger: logger)
    }

    /// Writes the single machine-readable stdout line, unbuffered so pipes see it at once.
    static func printBootstrap(_ bootstrap: String) {
        FileHandle.standardOutput.write(Data("bootstrap: \(bootstrap)\n".utf8))
    }

    /// Human hints on stderr; stdout carries only the bootstrap line.
    static func printHints(bootstrap: String, topics: [String]) {
        let topic = topics.first ?? "account-created"
        let hints = """
            Embedded Kafka broker (librdkafka mock cluster); Ctrl-C to stop. Try:
              kcat -b \(bootstrap) -L
              echo 'player-1:{"hello":"world"}' | kcat -b \(bootstrap) -P -t \(topic) -K:
              kcat -b \(bootstrap) -C -t \(topic) -e -o beginning -f '%k %s\\n'

            """
        FileHandle.standardError.write(Data(hints.utf8))
    }

    func run() async throws {
        // Suspends until SIGINT/SIGTERM (graceful shutdown) or cancellation.
        try? await gracefulShutdown()
        logger.info("Embedded broker stopping")
    }
}
