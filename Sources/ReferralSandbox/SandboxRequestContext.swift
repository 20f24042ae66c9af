import Hummingbird
import NIOCore

/// The request context of the sandbox: Hummingbird's core context plus the connection's
/// channel, which the drop fault closes without answering.
public struct SandboxRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// The connection the request arrived on.
    public let channel: any Channel

    public init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.channel = source.channel
    }
}
