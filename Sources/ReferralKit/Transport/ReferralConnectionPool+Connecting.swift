import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL

extension ReferralConnectionPool {
    /// Opens a connection: TCP (TLS for `https`), NIO's HTTP/1.1 codec, then the exchange handler.
    ///
    /// - Throws: ``HTTP1TransportError`` `connect` (refused, unreachable, unresolved, too slow).
    func connect(deadline: NIODeadline) async throws -> PooledConnection {
        let remaining = deadline - .now()
        let limit = TimeAmount(self.connectTimeout)
        guard remaining > .zero else { throw HTTP1TransportError(.timeout) }
        let sslContext = self.sslContext
        let serverHostname = self.address.serverHostname
        let maxBodyBytes = self.maxBodyBytes
        // The loop chosen here, so the handler's box can be made before the channel exists: the
        // handler is then known even when the connection closes before `connect` returns.
        let eventLoop = self.group.next()
        let handlerBox = NIOLoopBoundBox.makeEmptyBox(valueType: HTTP1ExchangeHandler.self, eventLoop: eventLoop)
        let bootstrap = ClientBootstrap(group: eventLoop)
            .connectTimeout(min(limit, remaining))
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let pipeline = channel.pipeline.syncOperations
                    if let sslContext {
                        try pipeline.addHandler(
                            NIOSSLClientHandler(context: sslContext, serverHostname: serverHostname))
                    }
                    try pipeline.addHTTPClientHandlers(leftOverBytesStrategy: .fireError)
                    let handler = HTTP1ExchangeHandler(maxBodyBytes: maxBodyBytes)
                    try pipeline.addHandler(handler)
                    handlerBox.value = handler
                }
            }
        let channel: any Channel
        do {
            channel = try await bootstrap.connect(host: self.address.host, port: self.address.port).get()
        } catch {
            throw HTTP1TransportError(.connect, detail: "\(error)")
        }
        return PooledConnection(channel: channel, handler: handlerBox)
    }
}
