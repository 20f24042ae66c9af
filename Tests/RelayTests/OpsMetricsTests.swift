import Relay
import Testing

/// `/metrics` renders what ``RelayMetrics`` recorded, in the Prometheus text format.
@Suite struct OpsMetricsTests {
    @Test func metricsExposeCountersGaugesAndTheHTTPHistogramInSeconds() async throws {
        let harness = OpsHarness()
        let metrics = RelayMetrics(factory: harness.telemetry.factory)
        metrics.consumed(topic: "account-created")
        metrics.delivered(event: .qualified, status: .advanced)
        metrics.delivered(event: .qualified, status: .advanced)
        metrics.delivered(event: .registered, status: .rejected)
        metrics.inFlight(7)
        metrics.assignedPartitions(3)
        metrics.commitLag(topic: "account-created", partition: 1, lag: 12)
        metrics.httpAttempt(event: .registered, duration: .milliseconds(42))
        metrics.httpAttempt(event: .registered, duration: .seconds(12))

        try await harness.with { base in
            let answer = try await OpsHarness.get("\(base)/metrics")
            #expect(answer.status == 200)
            #expect(answer.contentType == "text/plain; version=0.0.4; charset=utf-8")
            let lines = Set(answer.body.split(separator: "\n").map(String.init))
            #expect(lines.contains(#"relay_deliveries_total{event="qualified",status="advanced"} 2"#))
            #expect(lines.contains(#"relay_deliveries_total{event="registered",status="rejected"} 1"#))
            #expect(lines.contains(#"relay_records_consumed_total{topic="account-created"} 1"#))
            #expect(lines.contains("relay_in_flight 7.0"))
            #expect(lines.contains("relay_assigned_partitions 3.0"))
            #expect(lines.contains(#"relay_commit_lag{topic="account-created",partition="1"} 12.0"#))
            #expect(lines.contains("# TYPE relay_http_request_duration_seconds histogram"))
            // 42 ms falls in the 50 ms bucket, 12 s only in the 30 s one (buckets are seconds).
            #expect(lines.contains(#"relay_http_request_duration_seconds_bucket{event="registered",le="0.025"} 0"#))
            #expect(lines.contains(#"relay_http_request_duration_seconds_bucket{event="registered",le="0.05"} 1"#))
            #expect(lines.contains(#"relay_http_request_duration_seconds_bucket{event="registered",le="10.0"} 1"#))
            #expect(lines.contains(#"relay_http_request_duration_seconds_bucket{event="registered",le="30.0"} 2"#))
            #expect(lines.contains(#"relay_http_request_duration_seconds_bucket{event="registered",le="+Inf"} 2"#))
            #expect(lines.contains(#"relay_http_request_duration_seconds_sum{event="registered"} 12.042"#))
            #expect(lines.contains(#"relay_http_request_duration_seconds_count{event="registered"} 2"#))
        }
    }

    @Test func eachTelemetryCountsOnlyItsOwnRelay() {
        let first = RelayTelemetry()
        let second = RelayTelemetry()
        RelayMetrics(factory: first.factory).committed(ok: true)
        #expect(first.exposition().contains(#"relay_commits_total{result="ok"} 1"#))
        #expect(!second.exposition().contains("relay_commits_total"))
    }
}
