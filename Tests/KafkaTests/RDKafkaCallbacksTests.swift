import Foundation
import Logging
import Synchronization
import Testing

@testable import Kafka

/// librdkafka's own log lines reach swift-log; secret property values must never be in them.
@Suite struct RDKafkaCallbacksTests {
    /// Collects every log line (message and metadata) as text.
    final class Capture: Sendable {
        let lines = Mutex<[String]>([])

        var text: String { lines.withLock { $0.joined(separator: "\n") } }

        var logger: Logger {
            var logger = Logger(label: "capture") { _ in Handler(capture: self) }
            logger.logLevel = .trace
            return logger
        }

        /// A handler appending to the capture.
        struct Handler: LogHandler {
            let capture: Capture
            var metadata: Logger.Metadata = [:]
            var logLevel: Logger.Level = .trace

            subscript(metadataKey key: String) -> Logger.Metadata.Value? {
                get { metadata[key] }
                set { metadata[key] = newValue }
            }

            func log(event: LogEvent) {
                let merged = metadata.merging(event.metadata ?? [:]) { $1 }
                capture.lines.withLock { $0.append("\(event.message) \(merged)") }
            }
        }
    }

    @Test(.timeLimit(.minutes(1)))
    func debugConfigurationDumpNeverShowsSecretValues() async throws {
        let capture = Capture()
        var configuration = KafkaConsumerConfiguration(bootstrapServers: ["127.0.0.1:1"], groupID: "redaction")
        configuration.properties["debug"] = "conf,generic"
        configuration.properties["sasl.password"] = "hunter2-sasl-SECRET"
        configuration.properties["ssl.key.password"] = "hunter2-key-SECRET"
        let consumer = try KafkaConsumer(configuration: configuration, logger: capture.logger)
        await consumer.close()
        let text = capture.text
        #expect(text.contains("sasl.password"), "the configuration dump was not logged: nothing was checked")
        #expect(!text.contains("SECRET"))
    }

    /// librdkafka quotes a malformed `sasl.oauthbearer.config` from the bad piece on
    /// (`Unrecognized sasl.oauthbearer.config beginning at: bogus=…`): the piece is scrubbed from
    /// the log line and from the error callback's reason.
    @Test(.timeLimit(.minutes(1)))
    func aMalformedOAuthConfigIsNeverQuoted() async throws {
        let secret = "oauth-SECRET-\(UUID().uuidString.prefix(8))"
        let capture = Capture()
        var configuration = KafkaConsumerConfiguration(bootstrapServers: ["127.0.0.1:1"], groupID: "redaction")
        configuration.properties["security.protocol"] = "SASL_PLAINTEXT"
        configuration.properties["sasl.mechanisms"] = "OAUTHBEARER"
        configuration.properties["enable.sasl.oauthbearer.unsecure.jwt"] = "true"
        configuration.properties["sasl.oauthbearer.config"] = "principal=relay bogus=\(secret)"
        let consumer = try KafkaConsumer(configuration: configuration, logger: capture.logger)
        try await consumer.subscribe(topics: ["t"])
        let deadline = ContinuousClock.now + .seconds(10)
        while !capture.text.contains("sasl.oauthbearer.config"), ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(100))
        }
        await consumer.close()
        let text = capture.text
        #expect(text.contains("beginning at: [REDACTED]"), "librdkafka's complaint was not logged: \(text)")
        #expect(!text.contains(secret))
        #expect(!text.contains("bogus="))
    }
}
