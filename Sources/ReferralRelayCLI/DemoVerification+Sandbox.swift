import Foundation
import ReferralSandbox

extension DemoVerification {
    /// The fields of a logged request body the check needs.
    private struct LoggedEvent: Decodable {
        var event: String
        var token: String
        var refereeIdentity: String?

        enum CodingKeys: String, CodingKey {
            case event, token
            case refereeIdentity = "referee_identity"
        }
    }

    /// Verdicts that mean the relay signed or built a request wrongly.
    private static let signingFailures: Set<SandboxVerdict> = [
        .malformedSignatureHeader, .badSignature, .staleTimestamp, .invalidBody, .unknownServer,
    ]

    /// The sandbox accepted exactly one `registered` per referred account and one `qualified`
    /// per qualifying account, and verified every signature.
    func sandboxCheck() -> DemoCheck {
        var accountByToken: [String: String] = [:]
        for account in self.scenario.accounts {
            if let token = account.token { accountByToken[token] = account.id }
        }
        if let race = self.scenario.account(.firstTouchRace) { accountByToken[self.scenario.rivalToken] = race.id }

        var problems: [String] = []
        var registered: [String: Int] = [:]
        var qualified: [String: Int] = [:]
        for entry in self.sandboxLog where entry.path == "/api/referral/events" {
            if Self.signingFailures.contains(entry.verdict) {
                problems.append("request #\(entry.sequence) answered \(entry.status) \(entry.response)")
            }
            guard entry.verdict == .advanced,
                let event = try? JSONDecoder().decode(LoggedEvent.self, from: Data(entry.body.utf8))
            else { continue }
            switch event.event {
            case "registered": registered[event.refereeIdentity ?? "?", default: 0] += 1
            case "qualified": qualified[accountByToken[event.token] ?? "token \(event.token)", default: 0] += 1
            default: problems.append("request #\(entry.sequence): unexpected accepted event \(event.event)")
            }
        }
        let expected = self.plan.expectations
        problems += Self.compare("registered", got: registered, want: expected.acceptedRegistered)
        problems += Self.compare("qualified", got: qualified, want: expected.acceptedQualified)
        return DemoCheck(
            "sandbox: exactly one accepted registered per referred account (\(expected.acceptedRegistered.count)) "
                + "and one accepted qualified per qualifying account (\(expected.acceptedQualified.count)); "
                + "every signature verified",
            problems: problems)
    }

    private static func compare(_ event: String, got: [String: Int], want: [String: Int]) -> [String] {
        let accounts = Set(got.keys).union(want.keys).sorted()
        return accounts.compactMap { account in
            let (count, expected) = (got[account] ?? 0, want[account] ?? 0)
            guard count != expected else { return nil }
            return "\(account): \(count) accepted \(event), expected \(expected)"
        }
    }
}
