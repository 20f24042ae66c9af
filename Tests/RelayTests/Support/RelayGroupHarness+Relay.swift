import Relay
import ServiceLifecycle

extension RelayGroupHarness {
    /// The relay's services in one group, not running yet, with a stream that yields its ops
    /// port once the ops server listens (then finishes).
    static func relay(_ configuration: RelayConfiguration) throws -> (ServiceGroup, AsyncStream<Int>) {
        let (ports, sink) = AsyncStream.makeStream(of: Int.self)
        let relay = ServiceGroup(
            services: try buildRelay(
                configuration: configuration, logger: Self.logger,
                onOpsListening: { port in
                    sink.yield(port)
                    sink.finish()
                }),
            logger: Self.logger)
        return (relay, ports)
    }
}
