import AsyncHTTPClient
import NIOCore
import ReferralKit

/// Row 3: signed POSTs through `ReferralClient` over the relay's transport (its
/// `ReferralConnectionPool`) vs the same bytes POSTed unsigned through the same kind of pool, both
/// with the same number in flight to the instant sink. async-http-client's rate for the unsigned
/// bytes, the relay's transport until the ninth session, is printed beside them.
struct HTTPBench {
    /// Shared settings.
    let context: BenchContext

    /// Measures the three clients against one sink.
    func run() async throws -> RowResult {
        let sizes = self.context.sizes
        return try await InstantSink.withRunning { _, endpoint in
            var configuration = HTTPClient.Configuration()
            configuration.redirectConfiguration = .disallow
            configuration.connectionPool.concurrentHTTP1ConnectionsPerHostSoftLimit = sizes.httpConcurrency
            let httpClient = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
            let signingPool = try ReferralConnectionPool(endpoint: endpoint, maxIdleConnections: sizes.httpConcurrency)
            let rawPool = try ReferralConnectionPool(endpoint: endpoint, maxIdleConnections: sizes.httpConcurrency)
            do {
                let result = try await self.measure(
                    httpClient: httpClient, signingPool: signingPool, rawPool: rawPool, endpoint: endpoint)
                await signingPool.shutdown()
                await rawPool.shutdown()
                try await httpClient.shutdown()
                return result
            } catch {
                await signingPool.shutdown()
                await rawPool.shutdown()
                try? await httpClient.shutdown()
                throw error
            }
        }
    }

    private func measure(
        httpClient: HTTPClient, signingPool: ReferralConnectionPool, rawPool: ReferralConnectionPool,
        endpoint: String
    ) async throws -> RowResult {
        let sizes = self.context.sizes
        let warmUp = 1000
        let events = try (0..<(sizes.httpRequests + warmUp)).map { index in
            let account = InputRecords.accountID(run: "h", index)
            return try EncodedReferralEvent(
                ReferralEvent(
                    kind: .registered, token: InputRecords.token(account: account), serverID: InputRecords.serverID,
                    refereeIdentity: account, serverEventID: "reg-\(account)", ts: 1_795_000_000))
        }
        let client = ReferralClient(
            credentials: ReferralCredentials(serverID: InputRecords.serverID, secret: InProcessRelay.secret),
            connectionPool: signingPool)
        let raw: @Sendable (Int) async throws -> Bool = { index in
            let response = try await rawPool.post(
                headers: ["Content-Type": "application/json"], body: ByteBuffer(bytes: events[index].body),
                deadline: .now() + .seconds(10))
            return response.status == 200
        }
        let asyncHTTPClient: @Sendable (Int) async throws -> Bool = { index in
            var request = HTTPClientRequest(url: endpoint)
            request.method = .POST
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(bytes: events[index].body))
            let response = try await httpClient.execute(request, timeout: .seconds(10))
            _ = try await response.body.collect(upTo: 64 * 1024)
            return response.status == .ok
        }
        let signed: @Sendable (Int) async throws -> Bool = { index in
            let result = try await client.send(events[index])
            if case .advanced = result.response { return true }
            return false
        }
        let rawRate = try await self.rate(warmUp: warmUp, raw)
        let signedRate = try await self.rate(warmUp: warmUp, signed)
        let asyncHTTPClientRate = try await self.rate(warmUp: warmUp, asyncHTTPClient)
        return RowResult(
            row: .http,
            stage: BenchRow.http.stage,
            what:
                "\(sizes.httpRequests.grouped) POSTs, \(sizes.httpConcurrency) in flight, to the in-process instant sink",
            result: "\(signedRate.grouped) req/s",
            ceiling: "\(rawRate.grouped) req/s",
            ratio: signedRate / rawRate,
            numbers: [
                "requests": Double(sizes.httpRequests), "concurrency": Double(sizes.httpConcurrency),
                "signed_requests_per_second": signedRate, "raw_requests_per_second": rawRate,
                "async_http_client_requests_per_second": asyncHTTPClientRate,
            ],
            notes: [
                "result: ReferralClient.send over a ReferralConnectionPool, the relay's transport (HMAC-SHA256 "
                    + "signature per request, answer classified; every answer must be `advanced`)",
                "ceiling: ReferralConnectionPool.post of the same bytes, unsigned; every answer must be 200",
                "for comparison, async-http-client POSTing the same bytes unsigned "
                    + "(concurrentHTTP1ConnectionsPerHostSoftLimit = \(sizes.httpConcurrency)): "
                    + "\(asyncHTTPClientRate.grouped) req/s",
                "\(warmUp.grouped) warm-up requests per client not timed; clients and sink share the 2 cores",
            ]
        )
    }

    /// Requests per second of `send` over indices `warmUp...`, after `warmUp` untimed ones.
    private func rate(warmUp: Int, _ send: @escaping @Sendable (Int) async throws -> Bool) async throws -> Double {
        let concurrency = self.context.sizes.httpConcurrency
        let count = self.context.sizes.httpRequests
        let good = Counter()
        try await BoundedConcurrency.forEach(warmUp, window: concurrency) { index in _ = try await send(index) }
        let start = ContinuousClock.now
        try await BoundedConcurrency.forEach(count, window: concurrency) { index in
            if try await send(warmUp + index) { good.increment() }
        }
        let seconds = (ContinuousClock.now - start).seconds
        guard good.current == count else { throw BenchError("\(count - good.current) of \(count) POSTs not accepted") }
        return Double(count) / max(1e-6, seconds)
    }
}
