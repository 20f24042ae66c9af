import Foundation

/// The referee store's settings (see ``RefereeStore``).
public struct RefereeSettings: Sendable, Hashable {
    /// Whether the store runs (default true; it needs its compacted topic, see docs/DESIGN.md,
    /// "Referee store").
    public var enabled: Bool
    /// Directory of the local copy; `nil`: ``defaultDirectory(groupID:)``.
    public var directory: String?
    /// How long a milestone whose account the store does not know waits while some
    /// `account-created` partition has no progress in the store at all (default 60 s; with
    /// progress, it waits until the store is through its time: see ``RefereeGate``).
    public var wait: Duration

    /// Creates the settings; the defaults are the product's.
    public init(enabled: Bool = true, directory: String? = nil, wait: Duration = .seconds(60)) {
        self.enabled = enabled
        self.directory = directory
        self.wait = wait
    }

    /// The local copy's directory when none is set: under the system's temporary directory,
    /// named after the group, so it survives a restart of the process (the chart mounts a
    /// volume and sets one).
    public static func defaultDirectory(groupID: String) -> String {
        let safe = String(groupID.map { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" ? $0 : "_" })
        return FileManager.default.temporaryDirectory.appendingPathComponent("referral-relay-referees-\(safe)").path
    }

    /// The local copy's directory for `groupID`.
    public func resolvedDirectory(groupID: String) -> String {
        directory ?? Self.defaultDirectory(groupID: groupID)
    }

    static func load(_ sources: ConfigurationSources) throws(ConfigurationError) -> RefereeSettings {
        let directory = sources.string(.refereeStoreDirectory, "relay.refereeStore.directory", default: "")
        return RefereeSettings(
            enabled: try sources.bool(.refereeStore, "relay.refereeStore.enabled", default: true),
            directory: directory.0.isEmpty ? nil : directory.0,
            wait: try sources.duration(
                .refereeWaitSeconds, "relay.refereeStore.waitSeconds", default: .seconds(60), unit: .seconds)
        )
    }
}
