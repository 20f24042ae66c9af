import ReferralKit
import Synchronization

/// Owns the ``SandboxState`` behind a `Mutex`; every access is one short critical section and
/// effects (sleeping, writing, closing) happen after the lock is released.
public final class SandboxStore: Sendable {
    private let state: Mutex<SandboxState>
    private let configuration: SandboxConfiguration

    /// Creates a store in the configuration's initial state.
    ///
    /// - Parameter configuration: The sandbox configuration.
    public init(configuration: SandboxConfiguration) {
        self.configuration = configuration
        self.state = Mutex(SandboxState(configuration: configuration))
    }

    /// Runs `body` with exclusive access to the state.
    ///
    /// - Parameter body: A short, non-suspending transition.
    /// - Returns: What `body` returns.
    public func withState<Result: Sendable>(_ body: (inout SandboxState) -> Result) -> Result {
        self.state.withLock { body(&$0) }
    }

    /// The delivery log, oldest first.
    public var log: [SandboxLogEntry] { self.withState { $0.log } }

    /// The counters.
    public var stats: SandboxStats { self.withState { $0.stats } }

    /// The current fault setting.
    public var faults: SandboxFaults { self.withState { $0.faults } }

    /// Replaces the faults and restarts their "first N" counters.
    ///
    /// - Parameter faults: The new setting.
    /// - Throws: ``SandboxError`` when a value is out of range.
    public func setFaults(_ faults: SandboxFaults) throws(SandboxError) {
        try faults.validate()
        self.withState { $0.setFaults(faults) }
    }

    /// Replaces a server's secrets (a key rotation): requests signed with any other key are
    /// answered 401 from now on. ``reset()`` restores the configured ones.
    ///
    /// - Parameters:
    ///   - secrets: The new secrets; none may be empty.
    ///   - serverID: A configured server.
    /// - Throws: ``SandboxError`` when the server is unknown or a secret is empty.
    public func setSecrets(_ secrets: [ReferralSecret], forServer serverID: String) throws(SandboxError) {
        guard !secrets.contains(where: \.isEmpty) else {
            throw SandboxError(.invalidConfiguration, reason: "servers['\(serverID)'].secret is empty")
        }
        guard self.withState({ $0.setSecrets(secrets, forServer: serverID) }) else {
            throw SandboxError(.invalidConfiguration, reason: "unknown server '\(serverID)'")
        }
    }

    /// Forgets every referral, key, log entry and counter, and restores the configured faults.
    public func reset() {
        let fresh = SandboxState(configuration: self.configuration)
        self.withState { $0 = fresh }
    }
}
