import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL

extension ReferralConnectionPool {
    /// Opens a connection: TCP (TLS for `https`), the request writer and NIO's HTTP/1.1 response
    /// decoder, then the exchange handler.
    ///
    /// - Throws: ``HTTP1TransportError`` `connect` (refused, unreachable, unresolved, too slow).
    func connect(deadline: NIODeadline) async throws -> PooledConnection {
        let remaining = deadline - .now()
        let limit = TimeAmount(self.connectTimeout)
        guard remaining > .zero else { throw HTTP1TransportError(.timeout) }
        let sslContext = self.sslContext
        let serverHostname = self.address.serverHostname
        let maxBodyBytes = self.maxBodyBytes
        do {
            // The connection's own initializer returns its handler: with several addresses NIO
            // tries them in parallel (Happy Eyeballs), one channel each, and only the winner's
            // output comes back here.
            return try await ClientBootstrap(group: self.group)
                .connectTimeout(min(limit, remaining))
                .connect(host: self.address.host, port: self.address.port) { channel in
                    channel.eventLoop.makeCompletedFuture {
                        let pipeline = channel.pipeline.syncOperations
                        if let sslContext {
                            try pipeline.addHandler(
                                NIOSSLClientHandler(context: sslContext, serverHostname: serverHostname))
                        }
                        // The request goes out as the pool rendered it (its headers checked with
                        // NIO's own rule, see `areValid`); NIO's decoder reads the response.
                        try pipeline.addHandler(HTTP1RequestWriter())
                        try pipeline.addHandler(
                            ByteToMessageHandler(HTTPResponseDecoder(leftOverBytesStrategy: .fireError)))
                        let handler = HTTP1ExchangeHandler(maxBodyBytes: maxBodyBytes)
                        try pipeline.addHandler(handler)
                        return PooledConnection(
                            channel: channel, handler: NIOLoopBound(handler, eventLoop: channel.eventLoop))
                    }
                }
        } catch {
            throw HTTP1TransportError(.connect, detail: "\(error)")
        }
    }
}
