import Kafka
import Testing

@testable import Relay

/// `/metrics` renders what ``RelayMetrics`` recorded, in the Prometheus text format.
@Suite struct OpsMetricsTests {
    @Test func metricsExposeCountersGaugesAndTheHTTPHistogramInSeconds() async throws {
        let harness = OpsHarness()
        let metrics = RelayMetrics(factory: harness.telemetry.factory, serverIDs: ["srv_1"])
        metrics.consumed(topic: "account-created")
        metrics.delivered(event: .qualified, status: .advanced, server: "srv_1")
        metrics.delivered(event: .qualified, status: .advanced, server: "srv_1")
        metrics.delivered(event: .registered, status: .rejected, server: "srv_1")
        metrics.inFlight(7)
        metrics.assignedPartitions(3)
        metrics.commitLag(topic: "account-created", partition: 1, lag: 12)
        metrics.httpAttempt(event: .registered, server: "srv_1", duration: .milliseconds(42))
        metrics.httpAttempt(event: .registered, server: "srv_1", duration: .seconds(12))

        try await harness.with { base in
            let answer = try await OpsHarness.get("\(base)/metrics")
            #expect(answer.status == 200)
            #expect(answer.contentType == "text/plain; version=0.0.4; charset=utf-8")
            let lines = Set(answer.body.split(separator: "\n").map(String.init))
            #expect(lines.contains(#"relay_deliveries_total{event="qualified",status="advanced",server_id="srv_1"} 2"#))
            #expect(
                lines.contains(#"relay_deliveries_total{event="registered",status="rejected",server_id="srv_1"} 1"#))
            #expect(lines.contains(#"relay_records_consumed_total{topic="account-created"} 1"#))
            #expect(lines.contains("relay_in_flight 7.0"))
            #expect(lines.contains("relay_assigned_partitions 3.0"))
            #expect(lines.contains(#"relay_commit_lag{topic="account-created",partition="1"} 12.0"#))
            #expect(lines.contains("# TYPE relay_http_request_duration_seconds histogram"))
            // 42 ms falls in the 50 ms bucket, 12 s only in the 30 s one (buckets are seconds).
            let bucket = #"relay_http_request_duration_seconds_bucket{event="registered",server_id="srv_1","#
            #expect(lines.contains(bucket + #"le="0.025"} 0"#))
            #expect(lines.contains(bucket + #"le="0.05"} 1"#))
            #expect(lines.contains(bucket + #"le="10.0"} 1"#))
            #expect(lines.contains(bucket + #"le="30.0"} 2"#))
            #expect(lines.contains(bucket + #"le="+Inf"} 2"#))
            let series = #"{event="registered",server_id="srv_1"}"#
            #expect(lines.contains("relay_http_request_duration_seconds_sum\(series) 12.042"))
            #expect(lines.contains("relay_http_request_duration_seconds_count\(series) 2"))
        }
    }

    @Test func eachTelemetryCountsOnlyItsOwnRelay() {
        let first = RelayTelemetry()
        let second = RelayTelemetry()
        RelayMetrics(factory: first.factory, serverIDs: []).committed(ok: true)
        #expect(first.exposition().contains(#"relay_commits_total{result="ok"} 1"#))
        #expect(!second.exposition().contains("relay_commits_total"))
    }

    /// `relay_build_info` says which relay and which librdkafka run, from the version constants.
    @Test func buildInfoNamesTheVersionAndLibrdkafka() {
        let telemetry = RelayTelemetry()
        _ = RelayMetrics(factory: telemetry.factory, serverIDs: [])
        let expected =
            #"relay_build_info{version="\#(ReferralRelayVersion.current)",librdkafka="\#(Kafka.librdkafkaVersion)"} 1.0"#
        #expect(telemetry.exposition().split(separator: "\n").contains { $0 == expected })
        #expect(Kafka.librdkafkaVersion.hasPrefix("2."))
    }

    /// A `server_id` from the input that is not configured becomes `unconfigured`: input cannot
    /// create series.
    @Test func unconfiguredServersShareOneLabel() {
        let telemetry = RelayTelemetry()
        let metrics = RelayMetrics(factory: telemetry.factory, serverIDs: ["srv_1"])
        metrics.delivered(event: .registered, status: .rejected, server: "made-up-\(UInt64.random(in: 0...9999))")
        metrics.delivered(event: .registered, status: .rejected, server: nil)
        metrics.retried(event: .qualified, reason: .publish, server: "srv_1")
        let text = telemetry.exposition()
        #expect(
            text.contains(#"relay_deliveries_total{event="registered",status="rejected",server_id="unconfigured"} 2"#))
        #expect(text.contains(#"relay_delivery_retries_total{event="qualified",reason="publish",server_id="srv_1"} 1"#))
        #expect(!text.contains("made-up"))
    }

    /// The series of a revoked partition disappear (the new owner reports them), values recorded
    /// for it afterwards (by work that read them before the revocation) are dropped, and they come
    /// back once the partition is assigned again.
    @Test func revokedPartitionsLoseTheirSeriesUntilAssignedAgain() {
        let telemetry = RelayTelemetry()
        let metrics = RelayMetrics(factory: telemetry.factory, serverIDs: [])
        let kept = KafkaTopicPartition(topic: "account-created", partition: 0)
        let revoked = KafkaTopicPartition(topic: "account-created", partition: 1)
        for partition in [kept, revoked] {
            metrics.commitLag(topic: partition.topic, partition: partition.partition, lag: 3)
            metrics.consumerLag(partition, lag: 5)
            metrics.oldestUnsettledAge(partition, seconds: 1.5)
        }
        func series(_ partition: KafkaTopicPartition) -> [Substring] {
            telemetry.exposition().split(separator: "\n").filter {
                $0.contains(#"topic="\#(partition.topic)",partition="\#(partition.partition)""#)
            }
        }
        #expect(series(revoked).count == 3)

        metrics.partitionsRevoked([revoked])
        #expect(series(revoked).isEmpty, "\(series(revoked))")
        #expect(series(kept).count == 3)
        metrics.consumerLag(revoked, lag: 9)
        metrics.commitLag(topic: revoked.topic, partition: revoked.partition, lag: 9)
        #expect(series(revoked).isEmpty, "a late value brought a revoked series back")

        metrics.partitionsAssigned([revoked])
        metrics.consumerLag(revoked, lag: 2)
        #expect(series(revoked) == [#"relay_consumer_lag{topic="account-created",partition="1"} 2.0"#])
    }

    /// With every metric recorded once, each one is exported with the `# HELP`, type and label
    /// names of ``RelayMetrics/descriptions`` (what docs/METRICS.md documents), and promtool
    /// finds nothing to fix.
    @Test func everyMetricIsExportedAsDescribedWithHelp() async throws {
        let telemetry = RelayTelemetry()
        let metrics = RelayMetrics(factory: telemetry.factory, serverIDs: ["srv_1"])
        let partition = KafkaTopicPartition(topic: "account-created", partition: 0)
        metrics.consumed(topic: partition.topic)
        metrics.skipped(topic: partition.topic, reason: .notReferred)
        metrics.delivered(event: .registered, status: .advanced, server: "srv_1")
        metrics.retried(event: .qualified, reason: .invalidTransition, server: "srv_1")
        metrics.inFlight(1)
        metrics.httpAttempt(event: .registered, server: "srv_1", duration: .milliseconds(3))
        metrics.commitLag(topic: partition.topic, partition: partition.partition, lag: 1)
        metrics.consumerLag(partition, lag: 2)
        metrics.oldestUnsettledAge(partition, seconds: 0.5)
        metrics.deadLettered(stage: .decode)
        metrics.systemicFailure(false)
        metrics.assignedPartitions(1)
        metrics.settledEarlier(topic: partition.topic)
        metrics.redelivered(topic: partition.topic)
        metrics.committed(ok: true)
        metrics.breakerOpened(server: "srv_1")
        metrics.breakerProbe(server: "srv_1", ok: true)
        metrics.refereeTokenConflict()
        metrics.concurrencyLimit(server: "srv_1", limit: 3)
        metrics.concurrencyLimitDecreased(server: "srv_1")
        let text = telemetry.exposition()
        let lines = text.split(separator: "\n").map(String.init)
        for metric in RelayMetrics.descriptions {
            #expect(lines.contains("# HELP \(metric.name) \(metric.help)"), "\(metric.name) has no help")
            #expect(lines.contains("# TYPE \(metric.name) \(metric.type)"), "\(metric.name) is not a \(metric.type)")
            let series = metric.type == "histogram" ? metric.name + "_bucket" : metric.name
            let sample = try #require(
                lines.first { $0.hasPrefix(series + (metric.labels.isEmpty ? " " : "{")) },
                "\(metric.name) is not exported")
            let labels =
                sample.split(separator: "{").dropFirst().first?.split(separator: "}").first?
                .split(separator: ",").map { String($0.split(separator: "=")[0]) }.filter { $0 != "le" } ?? []
            #expect(labels == metric.labels, "\(metric.name): labels \(labels)")
        }
        if Promtool.isInstalled {
            let lint = try await Promtool.checkMetrics(text)
            #expect(lint.status == 0 && lint.output.isEmpty, "promtool check metrics: \(lint.output)")
        }
    }
}
