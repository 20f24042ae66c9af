import Logging

/// Metadata keys of the ops server's logs, in one place so dashboards can rely on them.
enum OpsLogMetadata {
    /// The ops server's bind address.
    static let host = "relay.ops.host"
    /// The ops server's bound port.
    static let port = "relay.ops.port"
}
