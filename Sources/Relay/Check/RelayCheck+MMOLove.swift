import ReferralKit

extension RelayCheck {
    /// One signed `test:true` event (the circuit breaker's probe) to each configured server:
    /// MMOLove verifies it and writes nothing.
    func mmoloveChecks() async -> [Result] {
        let mmolove = self.configuration.mmolove
        let endpoint = ReferralEndpoint.redacted(mmolove.endpoint)
        let connectionPool: ReferralConnectionPool
        do {
            connectionPool = try relayConnectionPool(self.configuration)
        } catch {
            return [Result("mmolove", .failed, error.reason)]
        }
        var results: [Result] = []
        for serverID in mmolove.credentials.serverIDs {
            let name = "mmolove \(serverID)"
            guard let secret = mmolove.credentials[serverID] else { continue }
            do {
                let client = ReferralClient(
                    credentials: ReferralCredentials(serverID: serverID, secret: secret),
                    connectionPool: connectionPool,
                    timeout: mmolove.requestTimeout,
                    logger: self.logger
                )
                let answer = try await client.send(Deliverer.probe(for: serverID))
                results.append(Self.judge(answer, name: name, endpoint: endpoint))
            } catch {
                results.append(Result(name, .failed, "no HTTP response from \(endpoint): \(error.reason)"))
            }
        }
        await connectionPool.shutdown()
        return results
    }

    /// A test event's answer: taken, or judged on its merits (the signature was verified), is a
    /// pass; anything that would hold the relay's events (401, a 404 naming the server, 5xx) fails.
    static func judge(_ answer: SendResult, name: String, endpoint: String) -> Result {
        let said = Self.summary(of: answer)
        switch answer.response {
        case .test, .advanced, .duplicate, .firstTouchConflict, .accepted:
            return Result(name, .ok, "\(said) from \(endpoint): signature verified, nothing written")
        case .rejected, .invalidTransition:
            return Result(name, .ok, "\(said) from \(endpoint): signature verified, the test event was judged")
        case .systemic:
            return Result(name, .failed, "\(said) from \(endpoint): every event would be held")
        case .retryable:
            return Result(name, .failed, "\(said) from \(endpoint): MMOLove is failing")
        }
    }

    /// The status and a short, single-line body (MMOLove's bodies are small JSON objects; a
    /// proxy's page is cut).
    private static func summary(of answer: SendResult) -> String {
        let body = answer.body.split(whereSeparator: \.isNewline).joined(separator: " ")
        return "\(answer.status) \(body.count > 120 ? body.prefix(120) + "…" : body)"
    }
}
