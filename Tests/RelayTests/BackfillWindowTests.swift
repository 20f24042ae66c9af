import Testing

@testable import Relay

/// ``BackfillWindow``: parsing, checks, the default run name.
@Suite struct BackfillWindowTests {
    @Test func parsesTheWindowAndDerivesAStableName() throws {
        let window = try BackfillWindow(from: "2026-11-01T00:00:00Z", to: "2026-11-02T12:30:00.250+01:00", name: nil)
        #expect(window.from == 1_793_491_200_000)
        #expect(window.to == 1_793_619_000_250)
        #expect(window.name == "20261101t000000z-20261102t113000250z")
        let open = try BackfillWindow(from: "2026-11-01T00:00:00Z", to: nil, name: nil)
        #expect(open.name == "20261101t000000z")
        #expect(try BackfillWindow(from: "2026-11-01T00:00:00Z", to: nil, name: "nov-outage").name == "nov-outage")
    }

    @Test(
        arguments: [
            ("yesterday", nil, nil, "--from"),
            ("2026-11-01T00:00:00Z", "2026-11-01", nil, "--to"),
            ("2026-11-01T00:00:00Z", "2026-11-01T00:00:00Z", nil, "--to must be after --from"),
            ("2026-11-01T00:00:00Z", "2026-10-01T00:00:00Z", nil, "--to must be after --from"),
            ("2026-11-01T00:00:00Z", nil, "Nov Outage", "--name"),
            ("2026-11-01T00:00:00Z", nil, "", "--name"),
        ] as [(String, String?, String?, String)])
    func refusesABadWindowNamingTheArgument(from: String, to: String?, name: String?, expected: String) {
        #expect {
            _ = try BackfillWindow(from: from, to: to, name: name)
        } throws: { error in
            (error as? BackfillError)?.reason.hasPrefix(expected) == true
        }
    }
}
