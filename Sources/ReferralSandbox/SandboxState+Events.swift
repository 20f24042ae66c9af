import ReferralKit

extension SandboxState {
    /// Judges one `POST /api/referral/events` as the real endpoint does, in this order: signature
    /// header syntax (400), body JSON (400), `server_id` present (400), server known / referrals on /
    /// secret configured (404), MAC over the raw bytes and the ±window (401), field validation (400),
    /// `test:true` dry run (200, nothing written), token known (404), then the first-touch state
    /// machine with (token, event, server_event_id) idempotency.
    ///
    /// - Parameters:
    ///   - request: The request with its raw body.
    ///   - now: The sandbox clock, unix seconds.
    /// - Returns: The reply and the event name if the body named a valid event.
    public mutating func receive(_ request: SandboxRequest, now: Int64) -> (reply: SandboxReply, event: String?) {
        guard let header = request.header(ReferralSignature.headerName),
            let signature = try? ReferralSignature(parsing: header)
        else {
            return (.error(400, "missing or malformed X-MMOLove-Signature header", .malformedSignatureHeader), nil)
        }
        let fields: ReferralEventFields
        do {
            fields = try ReferralEventFields.decode(request.body)
        } catch {
            return (.error(400, error.reason, .invalidBody), nil)
        }
        guard let serverID = fields.serverID.map(Self.trimmed), !serverID.isEmpty else {
            return (.error(400, "missing field: server_id", .invalidBody), nil)
        }
        if let reply = self.checkSignature(signature, body: request.body, serverID: serverID, now: now) {
            return (reply, nil)
        }
        let event: ReferralEvent
        do {
            event = try fields.validated()
        } catch {
            return (.error(400, error.reason, .invalidBody), nil)
        }
        if event.test {
            return (SandboxReply(status: 200, body: "{\"ok\":true,\"test\":true}", verdict: .test), event.kind.rawValue)
        }
        if self.configuration.unknownTokens.contains(event.token)
            || self.configuration.expiredTokens.contains(event.token)
            || self.referrals[event.token].map({ $0.serverID != event.serverID }) == true
        {
            // A token is bound to the server it was minted for; on any other server it is unknown.
            return (.error(404, "unknown token", .unknownToken), event.kind.rawValue)
        }
        return (self.apply(event), event.kind.rawValue)
    }

    /// Selects the server's secrets and verifies the raw bytes; `nil` when the signature is valid.
    private func checkSignature(
        _ signature: ReferralSignature,
        body: [UInt8],
        serverID: String,
        now: Int64
    ) -> SandboxReply? {
        guard let server = self.servers[serverID] else {
            return .error(404, "unknown server", .unknownServer)
        }
        guard server.referralsEnabled else { return .error(404, "referrals not enabled", .referralsNotEnabled) }
        guard !server.secrets.isEmpty else { return .error(404, "no secret configured", .noSecret) }
        // With a kid only that key may verify (a wrong kid is a bad signature); without one, any
        // of the server's keys may, as during a rotation.
        let candidates = signature.keyID.map { kid in server.secrets.filter { $0.keyID == kid } } ?? server.secrets
        var sawStale = false
        for secret in candidates {
            switch signature.verify(body: body, secret: secret, now: now, window: self.configuration.replayWindow) {
            case .valid: return nil
            case .staleTimestamp: sawStale = true
            case .badSignature: continue
            }
        }
        return sawStale ? .error(401, "stale_timestamp", .staleTimestamp) : .error(401, "bad_signature", .badSignature)
    }

    /// The first-touch state machine for a validated, non-test event on a known token.
    private mutating func apply(_ event: ReferralEvent) -> SandboxReply {
        let key = IdempotencyKey(token: event.token, event: event.kind, serverEventID: event.serverEventID)
        if self.seen.contains(key) {
            return SandboxReply(status: 200, body: "{\"ok\":true,\"duplicate\":true}", verdict: .duplicate)
        }
        let reply: SandboxReply
        switch event.kind {
        case .registered: reply = self.register(event)
        case .qualified: reply = self.qualify(event)
        case .reversed: reply = SandboxReply(status: 200, body: "{\"ok\":true}", verdict: .accepted)
        }
        // Only events that arrived and were taken (200) claim their idempotency key; a 422 may
        // succeed later with the same key once its `registered` lands.
        if reply.status == 200 { self.seen.insert(key) }
        return reply
    }

    private mutating func register(_ event: ReferralEvent) -> SandboxReply {
        let identity = event.refereeIdentity ?? ""
        let anchor = AnchorKey(serverID: event.serverID, refereeIdentity: identity)
        if let anchoredToken = self.anchors[anchor] {
            guard anchoredToken == event.token, let referral = self.referrals[anchoredToken] else {
                return SandboxReply(
                    status: 200,
                    body: "{\"ok\":true,\"ignored\":\"first_touch_conflict\"}",
                    verdict: .firstTouchConflict
                )
            }
            return Self.advanced(referral)
        }
        if self.referrals[event.token] != nil {
            // The token already registered another referee: one click, one registration.
            return .error(422, "invalid transition", .invalidTransition)
        }
        let referral = Referral(
            id: "ref_\(String(self.nextReferralNumber, radix: 10))",
            serverID: event.serverID,
            refereeIdentity: identity,
            state: .registered
        )
        self.nextReferralNumber += 1
        self.referrals[event.token] = referral
        self.anchors[anchor] = event.token
        return Self.advanced(referral)
    }

    private mutating func qualify(_ event: ReferralEvent) -> SandboxReply {
        guard var referral = self.referrals[event.token], referral.state != .reversed else {
            return .error(422, "invalid transition", .invalidTransition)
        }
        referral.state = .qualified
        self.referrals[event.token] = referral
        return Self.advanced(referral)
    }

    private static func advanced(_ referral: Referral) -> SandboxReply {
        SandboxReply(
            status: 200,
            body:
                "{\"ok\":true,\"referral_id\":\(SandboxReply.jsonString(referral.id)),\"state\":\"\(referral.state.rawValue)\"}",
            verdict: .advanced
        )
    }
}

extension SandboxState {
    /// Trims as ``ReferralEvent`` does, so `" srv_1 "` selects `srv_1` before validation.
    fileprivate static func trimmed(_ value: String) -> String {
        String(value.drop { $0.isWhitespace }.reversed().drop { $0.isWhitespace }.reversed())
    }
}
