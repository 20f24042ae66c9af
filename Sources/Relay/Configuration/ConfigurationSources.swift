/// A setting's raw text and where it came from.
struct SourcedValue: Sendable {
    /// The text, trimmed of surrounding whitespace.
    var text: String
    /// The environment variable name or the dotted YAML path it came from: the key errors name.
    var key: String
    /// Whether it came from the environment.
    var fromEnvironment: Bool
}

/// The environment laid over the config file: every lookup tries the environment variable
/// first, then the YAML key, and remembers which one answered so errors name it.
///
/// An environment variable set to an empty (or blank) string counts as unset: Kubernetes and
/// shells make empty variables easily, and "empty broker list" is never what was meant.
struct ConfigurationSources: Sendable {
    /// The process environment (or a test's).
    var environment: [String: String]
    /// The parsed config file, if any.
    var file: ConfigurationFile?

    /// The raw value of a setting: environment first, then the file.
    func value(_ env: EnvironmentKey, _ path: String) -> SourcedValue? {
        if let raw = self.environment[env.rawValue] {
            let text = raw.trimmedForConfiguration
            if !text.isEmpty { return SourcedValue(text: text, key: env.rawValue, fromEnvironment: true) }
        }
        if let raw = self.file?.scalars[path] {
            return SourcedValue(text: raw.trimmedForConfiguration, key: path, fromEnvironment: false)
        }
        return nil
    }

    /// A string setting, or `fallback`.
    func string(_ env: EnvironmentKey, _ path: String, default fallback: String) -> (String, key: String) {
        guard let value = self.value(env, path) else { return (fallback, env.rawValue) }
        return (value.text, value.key)
    }

    /// A list setting: comma-separated in the environment, a list (or comma-separated string) in
    /// the file; entries trimmed, empty entries dropped.
    func list(_ env: EnvironmentKey, _ path: String) -> (items: [String], key: String)? {
        if let raw = self.environment[env.rawValue], !raw.trimmedForConfiguration.isEmpty {
            return (Self.cleaned(raw.split(separator: ",").map(String.init)), env.rawValue)
        }
        if let items = self.file?.lists[path] {
            return (Self.cleaned(items), path)
        }
        return nil
    }

    /// An integer setting within `range`, or `fallback` when unset.
    ///
    /// - Throws: ``ConfigurationError`` naming the key when the text is not a whole number in range.
    func integer(
        _ env: EnvironmentKey,
        _ path: String,
        default fallback: Int,
        in range: ClosedRange<Int>,
        expected: String
    ) throws(ConfigurationError) -> Int {
        guard let value = self.value(env, path) else { return fallback }
        guard let number = Int(value.text), range.contains(number) else {
            throw .invalid(value.key, "must be \(expected), got '\(value.text)'")
        }
        return number
    }

    /// A strictly positive duration given as a whole number of `unit`s, or `fallback` when unset.
    func duration(
        _ env: EnvironmentKey,
        _ path: String,
        default fallback: Duration,
        unit: DurationUnit
    ) throws(ConfigurationError) -> Duration {
        guard let value = self.value(env, path) else { return fallback }
        guard let number = Int(value.text), number > 0 else {
            throw .invalid(value.key, "must be a positive whole number of \(unit.rawValue), got '\(value.text)'")
        }
        return unit == .seconds ? .seconds(number) : .milliseconds(number)
    }

    /// A boolean setting (`true`/`false`, also `1`/`0`, `yes`/`no`), or `fallback` when unset.
    func bool(_ env: EnvironmentKey, _ path: String, default fallback: Bool) throws(ConfigurationError) -> Bool {
        guard let value = self.value(env, path) else { return fallback }
        switch value.text.lowercased() {
        case "true", "1", "yes", "on": return true
        case "false", "0", "no", "off": return false
        default: throw .invalid(value.key, "must be true or false, got '\(value.text)'")
        }
    }

    /// The unit of a duration setting, as its name says (`…Seconds`, `…Ms`).
    enum DurationUnit: String, Sendable {
        case seconds
        case milliseconds
    }

    private static func cleaned(_ items: [String]) -> [String] {
        items.map(\.trimmedForConfiguration).filter { !$0.isEmpty }
    }
}

extension String {
    /// The string without leading and trailing whitespace and newlines (no Foundation needed).
    var trimmedForConfiguration: String {
        let scalars = self.unicodeScalars
        guard let first = scalars.firstIndex(where: { !$0.properties.isWhitespace }),
            let last = scalars.lastIndex(where: { !$0.properties.isWhitespace })
        else { return "" }
        return String(scalars[first...last])
    }
}
