import Logging

extension RelayLogging {
    /// Bootstraps swift-log for a command-line tool that talks to Kafka only (`dlq list`,
    /// `dlq redrive`): human-readable lines on standard error at `level`, with every librdkafka
    /// property value redacted (any of them may carry a credential), secret-bearing ones with
    /// their pieces. Standard output stays free
    /// for the tool's own output.
    ///
    /// - Important: Call it once per process, before any logger is created.
    public static func bootstrapTool(kafka: RelayConfiguration.Kafka, level: Logger.Level = .warning) {
        let redactor = LogRedactor(secrets: [], kafkaProperties: kafka.properties)
        LoggingSystem.bootstrap { label in
            self.makeHandler(label: label, level: level, format: .text, redactor: redactor, sink: .standardError)
        }
    }

    /// Bootstraps swift-log for a command-line tool that uses the whole relay configuration
    /// (`check`): human-readable lines on standard error at `level`, redacted as the relay's
    /// own logs are (every secret, every librdkafka property value, the endpoint's userinfo and
    /// query). Standard output stays free for the tool's report.
    ///
    /// - Important: Call it once per process, before any logger is created.
    public static func bootstrapTool(configuration: RelayConfiguration, level: Logger.Level = .error) {
        let redactor = self.redactor(for: configuration)
        LoggingSystem.bootstrap { label in
            self.makeHandler(label: label, level: level, format: .text, redactor: redactor, sink: .standardError)
        }
    }
}
