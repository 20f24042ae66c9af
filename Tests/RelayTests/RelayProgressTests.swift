import Logging
import Testing

@testable import Relay

/// The counts behind the `relay progress` line, with plain values: what is counted, how the
/// line's metadata groups it, and that taking the counts starts afresh.
@Suite struct RelayProgressTests {
    @Test func countsOutcomesRetriesDeadLettersAndSkipsIntoTheLinesGroups() {
        var progress = RelayProgress()
        for _ in 0..<5 { progress.recordRead() }
        progress.recordOutcome(event: .registered, status: .advanced)
        progress.recordOutcome(event: .registered, status: .advanced)
        progress.recordOutcome(event: .qualified, status: .duplicate)
        progress.recordOutcome(event: .qualified, status: .rejected)
        progress.recordRetry(reason: .serverError)
        progress.recordRetry(reason: .serverError)
        progress.recordRetry(reason: .invalidTransition)
        progress.recordDeadLetter(stage: .deliver)
        progress.recordDeadLetter(stage: .decode)
        progress.recordSkip(reason: .notReferred)

        let metadata = progress.metadata(seconds: 60)
        #expect(metadata[ProgressLogMetadata.seconds] == "60")
        #expect(metadata[ProgressLogMetadata.read] == "5")
        #expect(
            metadata[ProgressLogMetadata.outcomes]
                == ["registered": ["advanced": "2"], "qualified": ["duplicate": "1", "rejected": "1"]])
        #expect(metadata[ProgressLogMetadata.retries] == ["server_error": "2", "invalid_transition": "1"])
        #expect(metadata[ProgressLogMetadata.deadLetters] == ["deliver": "1", "decode": "1"])
        #expect(metadata[ProgressLogMetadata.skipped] == ["not_referred": "1"])
    }

    @Test func aQuietIntervalStillHasEveryKeyWithNothingCounted() {
        let metadata = RelayProgress().metadata(seconds: 60)
        #expect(metadata[ProgressLogMetadata.read] == "0")
        for key in [
            ProgressLogMetadata.outcomes, ProgressLogMetadata.retries, ProgressLogMetadata.deadLetters,
            ProgressLogMetadata.skipped,
        ] {
            #expect(metadata[key] == .dictionary([:]), "\(key)")
        }
    }

    /// ``RelayMetrics`` counts into the progress at the same calls as the Prometheus series, and
    /// hands each count over once.
    @Test func theMetricsHandOverWhatTheyCountedOnceAndStartAfresh() {
        let metrics = RelayMetrics(factory: RelayTelemetry().factory, serverIDs: ["srv_1"])
        metrics.consumed(topic: "account-created")
        metrics.consumed(topic: "milestone-reached")
        metrics.delivered(event: .registered, status: .advanced, server: "srv_1")
        metrics.retried(event: .qualified, reason: .publish, server: "srv_1")
        metrics.deadLettered(stage: .decode)
        metrics.skipped(topic: "milestone-reached", reason: .notQualifying)

        var expected = RelayProgress()
        expected.recordRead()
        expected.recordRead()
        expected.recordOutcome(event: .registered, status: .advanced)
        expected.recordRetry(reason: .publish)
        expected.recordDeadLetter(stage: .decode)
        expected.recordSkip(reason: .notQualifying)
        #expect(metrics.takeProgress() == expected)
        #expect(metrics.takeProgress() == RelayProgress())
    }
}
