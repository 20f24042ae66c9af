import Logging
import ServiceLifecycle

/// TEMPORARY (demo branch only): the shape of the RelayService landing on main; removed at merge.
public struct RelayService: Service {
    /// Creates the service.
    public init(
        configuration: RelayConfiguration,
        logger: Logger,
        onOpsListening: @escaping @Sendable (Int) -> Void = { _ in }
    ) {}

    /// Always fails: the real service is not merged yet.
    public func run() async throws {
        struct NotYet: Error {}
        throw NotYet()
    }
}
