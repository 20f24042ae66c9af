import AsyncHTTPClient
import Logging

/// What every row shares: its sizes, the logger for Kafka clients, a pooled HTTP client for ops
/// probes, and where the relay executable is (for the child-process row).
struct BenchContext: Sendable {
    /// Row sizes after `--scale`.
    var sizes: BenchSizes
    /// Logger for Kafka clients and in-process relays (warnings and up, to stderr).
    var logger: Logger
    /// For ops probes (`/readyz`, `/metrics`).
    var httpClient: HTTPClient
    /// The `referral-relay` executable run as a child by the RSS row.
    var relayExecutable: String
}
