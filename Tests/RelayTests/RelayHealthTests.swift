import Relay
import Testing

/// Readiness follows the group, the endpoint and shutdown.
@Suite struct RelayHealthTests {
    @Test func readyOnlyAfterJoiningAndWhileTheEndpointIsHealthy() {
        let health = RelayHealth()
        #expect(!health.snapshot.isReady)
        #expect(health.snapshot.isLive)
        health.assigned(partitions: 0)
        #expect(health.snapshot.isReady)
        health.systemicFailure("401 bad_signature")
        #expect(!health.snapshot.isReady)
        health.systemicFailure(nil)
        #expect(health.snapshot.isReady)
        health.draining()
        #expect(!health.snapshot.isReady)
    }
}
