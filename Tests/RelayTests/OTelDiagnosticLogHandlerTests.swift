import Logging
import Testing

@testable import Relay

/// swift-otel logs the values of the `OTEL_*` variables it reads: they never reach the log.
@Suite struct OTelDiagnosticLogHandlerTests {
    @Test func theValuesSwiftOTelReadAreRedacted() {
        let lines = LogLines()
        var logger = Logger(label: "swift-otel") { label in
            OTelDiagnosticLogHandler(
                wrapping: JSONLogHandler(label: label, logLevel: .trace, sink: lines.sink), logLevel: .info)
        }
        logger[metadataKey: "environment_key"] = "OTEL_EXPORTER_OTLP_HEADERS"
        logger[metadataKey: "environment_value"] = "authorization=Bearer s3cr3t-token"
        logger[metadataKey: "new_value"] = "authorization=Bearer s3cr3t-token"
        logger.info("Configuration updated from environment", metadata: ["previous_value": "x=s3cr3t-old"])
        logger.debug("below the level")
        let text = lines.text
        #expect(!text.contains("s3cr3t"))
        #expect(text.contains("OTEL_EXPORTER_OTLP_HEADERS"))
        #expect(text.contains("<redacted>"))
        #expect(!text.contains("below the level"))
    }
}
