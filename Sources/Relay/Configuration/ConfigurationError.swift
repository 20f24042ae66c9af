/// A configuration problem found at start-up: which setting is at fault and why.
///
/// ``key`` is the environment variable name when the value came from the environment, the
/// dotted YAML path (`relay.maxInFlight`, `mmolove.servers[1].secretFile`) when it came from
/// the config file, or both names when a required setting is missing everywhere.
///
/// - Important: A message never contains a secret value; secret files are named by path only.
public struct ConfigurationError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The setting at fault (environment name, dotted YAML path, or both).
    public var key: String
    /// What is wrong, for a human reading the start-up log; starts with the key.
    public var message: String

    /// Creates an error.
    ///
    /// - Parameters:
    ///   - key: The setting at fault.
    ///   - message: The full sentence to show; must name `key` and must not contain a secret.
    public init(key: String, message: String) {
        self.key = key
        self.message = message
    }

    /// An error whose message is `"<key>: <problem>"`.
    static func invalid(_ key: String, _ problem: String) -> ConfigurationError {
        ConfigurationError(key: key, message: "\(key): \(problem)")
    }

    /// A required setting that is set nowhere: names both the environment variable and the YAML key.
    static func missing(_ env: EnvironmentKey, _ path: String, _ why: String = "") -> ConfigurationError {
        let suffix = why.isEmpty ? "" : ": \(why)"
        return ConfigurationError(
            key: env.rawValue,
            message: "\(env.rawValue) (or \(path) in the config file) is required\(suffix)"
        )
    }

    public var description: String { "invalid configuration: \(self.message)" }
}
