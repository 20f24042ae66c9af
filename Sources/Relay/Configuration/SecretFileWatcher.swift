import Logging
import ReferralKit
import ServiceLifecycle
import Synchronization

/// Re-reads the secret files (and key-id files) every ``RelayConfiguration/MMOLove/secretPollInterval``
/// and hands a changed secret to ``apply``, so a rotation takes effect without a restart.
///
/// Kubernetes updates a mounted Secret in place by writing a new timestamped directory and
/// swapping the `..data` symlink; the file's own inode never changes and an inotify watch on it
/// sees nothing. So the content is polled (the files are a few bytes): a change is taken once two
/// reads ``settleDelay`` apart agree, so a file caught half-written, or a secret and key id read
/// across a swap, is never used. A file that cannot be read or is empty keeps the current secret;
/// the problem is logged once (naming the setting and the path, never the content) until it
/// changes.
///
/// A rotated secret that MMOLove rejects answers 401: the deliveries hold (a systemic failure,
/// see ``SystemicFailureMonitor``), nothing is rejected, and the next rotation heals them.
public final class SecretFileWatcher: Service, Sendable {
    /// How long a changed file must stay the same before it is used.
    static let settleDelay: Duration = .milliseconds(200)

    private let files: [RelayConfiguration.SecretFile]
    private let interval: Duration
    private let logger: Logger
    private let apply: @Sendable (String, ReferralSecret) -> Void
    /// Per server: the secret in use and the last problem logged.
    private let state: Mutex<[String: (secret: ReferralSecret, problem: String?)]>

    /// Creates a watcher.
    ///
    /// - Parameters:
    ///   - files: The secrets that came from files.
    ///   - current: The secrets in use (read at start-up).
    ///   - interval: Time between two checks.
    ///   - logger: Where rotations and unreadable files are reported.
    ///   - apply: Called with the server id and its new secret when one changed (the relay swaps
    ///     the delivery client and teaches the log redactor the new value).
    public init(
        files: [RelayConfiguration.SecretFile],
        current: ReferralCredentials,
        interval: Duration,
        logger: Logger,
        apply: @escaping @Sendable (String, ReferralSecret) -> Void
    ) {
        self.files = files
        self.interval = interval
        self.logger = logger
        self.apply = apply
        var state: [String: (secret: ReferralSecret, problem: String?)] = [:]
        for file in files {
            if let secret = current[file.serverID] { state[file.serverID] = (secret, nil) }
        }
        self.state = Mutex(state)
    }

    /// Checks the files every interval until graceful shutdown.
    public func run() async throws {
        try? await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                try await Task.sleep(for: self.interval)
                try await self.check()
            }
        }
    }

    /// Reads every file once and applies the secrets that changed (and stayed the same for
    /// ``settleDelay``).
    ///
    /// - Returns: The servers whose secret was replaced.
    @discardableResult
    func check() async throws -> [String] {
        var rotated: [String] = []
        for file in self.files {
            guard let changed = self.read(file), self.isNew(changed, for: file.serverID) else { continue }
            try await Task.sleep(for: Self.settleDelay)
            guard let again = self.read(file), again == changed else { continue }
            let replaced = self.state.withLock { state -> Bool in
                guard state[file.serverID]?.secret != again else { return false }
                state[file.serverID] = (again, nil)
                return true
            }
            guard replaced else { continue }
            self.apply(file.serverID, again)
            rotated.append(file.serverID)
            self.logger.notice(
                "referral secret rotated",
                metadata: [
                    "mmolove.server": "\(file.serverID)",
                    "mmolove.kid": "\(again.keyID ?? "<none>")",
                    "mmolove.path": "\(file.path)",
                ])
        }
        return rotated
    }

    /// The file's secret, or `nil` (logged once per distinct problem) when it cannot be used.
    private func read(_ file: RelayConfiguration.SecretFile) -> ReferralSecret? {
        do {
            return try file.read()
        } catch {
            let first = self.state.withLock { state -> Bool in
                guard state[file.serverID]?.problem != error.message else { return false }
                state[file.serverID]?.problem = error.message
                return true
            }
            if first {
                self.logger.warning(
                    "referral secret file unusable; keeping the secret in use",
                    metadata: ["mmolove.server": "\(file.serverID)", "error": "\(error.message)"])
            }
            return nil
        }
    }

    private func isNew(_ secret: ReferralSecret, for serverID: String) -> Bool {
        self.state.withLock { state in
            if state[serverID]?.problem != nil { state[serverID]?.problem = nil }
            return state[serverID]?.secret != secret
        }
    }
}
