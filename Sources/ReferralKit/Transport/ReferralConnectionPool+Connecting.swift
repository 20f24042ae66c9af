import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL

extension ReferralConnectionPool {
    /// Opens a connection: TCP (TLS for `https`), NIO's HTTP/1.1 codec, then the exchange handler.
    ///
    /// - Throws: ``HTTP1TransportError`` `connect` (refused, unreachable, unresolved, too slow).
    func connect(deadline: NIODeadline) async throws -> any Channel {
        let remaining = deadline - .now()
        let limit = TimeAmount.nanoseconds(
            self.connectTimeout.components.seconds * 1_000_000_000 + self.connectTimeout.components.attoseconds
                / 1_000_000_000)
        guard remaining > .zero else { throw HTTP1TransportError(.timeout) }
        let sslContext = self.sslContext
        let serverHostname = self.address.serverHostname
        let maxBodyBytes = self.maxBodyBytes
        let bootstrap = ClientBootstrap(group: self.group)
            .connectTimeout(min(limit, remaining))
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let pipeline = channel.pipeline.syncOperations
                    if let sslContext {
                        try pipeline.addHandler(NIOSSLClientHandler(context: sslContext, serverHostname: serverHostname))
                    }
                    try pipeline.addHTTPClientHandlers(leftOverBytesStrategy: .fireError)
                    try pipeline.addHandler(HTTP1ExchangeHandler(maxBodyBytes: maxBodyBytes))
                }
            }
        do {
            return try await bootstrap.connect(host: self.address.host, port: self.address.port).get()
        } catch {
            throw HTTP1TransportError(.connect, detail: "\(error)")
        }
    }
}
