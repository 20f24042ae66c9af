import Foundation
import Yams

/// The relay's YAML config file (`--config`), read into plain strings keyed by dotted path.
///
/// The layout is the one the Helm chart renders (`referral-relay.configYaml`). Every key is
/// checked against ``schema``, so a typo such as `relay.maxInflight` fails start-up instead of
/// being silently ignored. Scalars are kept as text: a number quoted by Helm (`"20"`) and a
/// plain one (`20`) read the same; typing happens in ``ConfigurationSources``.
struct ConfigurationFile: Sendable {
    /// One entry of `mmolove.servers`.
    struct Server: Sendable {
        /// Position in the list, for error keys (`mmolove.servers[2].id`).
        var index: Int
        /// `id`, if present.
        var id: String?
        /// `secretFile`, if present.
        var secretFile: String?
        /// `keyId`, if present.
        var keyID: String?
        /// `keyIdFile`, if present.
        var keyIDFile: String?
    }

    /// The path the file was read from.
    var path: String
    /// Scalar settings by dotted path (`relay.maxInFlight` → `"256"`).
    var scalars: [String: String] = [:]
    /// List settings by dotted path (`kafka.brokers`, `relay.qualifyingMilestones`); a scalar
    /// given where a list is allowed is split on commas.
    var lists: [String: [String]] = [:]
    /// `kafka.properties`.
    var properties: [String: String] = [:]
    /// `mmolove.servers`.
    var servers: [Server] = []

    /// What may appear where.
    indirect enum Shape: Sendable {
        /// A scalar.
        case scalar
        /// A list of scalars, or one scalar holding a comma-separated list.
        case list
        /// A mapping with exactly these keys (each optional).
        case section([String: Shape])
        /// A mapping of free-form names to scalars (`kafka.properties`).
        case stringMap
        /// The `mmolove.servers` list of `{id, secretFile, keyId, keyIdFile}`.
        case servers
    }

    /// The accepted layout.
    static let schema: [String: Shape] = [
        "kafka": .section([
            "brokers": .list,
            "groupId": .scalar,
            "topics": .section([
                "accountCreated": .scalar, "milestoneReached": .scalar, "outcomes": .scalar, "dlq": .scalar,
                "referees": .scalar,
            ]),
            "properties": .stringMap,
        ]),
        "relay": .section([
            "qualifyingMilestones": .list,
            "logLevel": .scalar,
            "logFormat": .scalar,
            "drainTimeoutSeconds": .scalar,
            "maxInFlight": .scalar,
            "opsPort": .scalar,
            "opsHost": .scalar,
            "commitIntervalMs": .scalar,
            "maxAttempts": .scalar,
            "qualifiedWaitSeconds": .scalar,
            "rateLimit": .scalar,
            "adaptiveConcurrency": .scalar,
            "adaptiveConcurrencyInitial": .scalar,
            "maxInputBytes": .scalar,
            "heldPartitionReadinessSeconds": .scalar,
            "unknownTopicGraceSeconds": .scalar,
            "refereeStore": .section(["enabled": .scalar, "directory": .scalar, "waitSeconds": .scalar]),
            "retry": .section(["initialBackoffMs": .scalar, "maxBackoffSeconds": .scalar]),
        ]),
        "mmolove": .section([
            "endpoint": .scalar,
            "serverId": .scalar,
            "keyId": .scalar,
            "keyIdFile": .scalar,
            "secretFile": .scalar,
            "secretPollSeconds": .scalar,
            "allowInsecureHttp": .scalar,
            "requestTimeoutSeconds": .scalar,
            "connectTimeoutSeconds": .scalar,
            "testEvents": .scalar,
            "servers": .servers,
        ]),
    ]

    /// The keys of one `mmolove.servers` entry.
    static let serverKeys: Set<String> = ["id", "secretFile", "keyId", "keyIdFile"]

    /// Reads and checks a config file.
    ///
    /// - Parameter path: The file to read.
    /// - Throws: ``ConfigurationError`` keyed `--config` when the file cannot be read or is not
    ///   YAML (naming the file and line), or keyed by the dotted path of an unknown or
    ///   mis-shaped key.
    init(contentsOfFile path: String) throws(ConfigurationError) {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw .invalid("--config", "cannot read config file \(path)")
        }
        guard let text = String(validating: data, as: UTF8.self) else {
            throw .invalid("--config", "config file \(path) is not UTF-8 text")
        }
        try self.init(yaml: text, path: path)
    }

    /// Parses config text.
    ///
    /// - Parameters:
    ///   - yaml: The YAML text.
    ///   - path: Where it came from, for error messages.
    /// - Throws: ``ConfigurationError`` as for ``init(contentsOfFile:)``.
    init(yaml: String, path: String) throws(ConfigurationError) {
        self.path = path
        let root: Node?
        do {
            root = try Yams.compose(yaml: yaml)
        } catch let error as YamlError {
            throw .invalid("--config", "config file \(path) is not valid YAML: \(Self.summary(of: error))")
        } catch {
            throw .invalid("--config", "config file \(path) is not valid YAML: \(error)")
        }
        guard let root, !Self.isNull(root) else { return }  // an empty file sets nothing
        guard case .mapping = root else {
            throw .invalid("--config", "config file \(path) must be a YAML mapping at the top level")
        }
        try self.read(root, shape: .section(Self.schema), at: "")
    }

    /// The first line of a Yams error (`line:column: error: …`), without the quoted snippet.
    private static func summary(of error: YamlError) -> String {
        let text = "\(error)"
        let firstLine = text.split(separator: "\n", maxSplits: 1).first.map(String.init) ?? text
        switch error {
        case .scanner(_, _, let mark, _), .parser(_, _, let mark, _), .composer(_, _, let mark, _):
            return "line \(mark.line), column \(mark.column): \(firstLine)"
        default:
            return firstLine
        }
    }

    private static func isNull(_ node: Node) -> Bool {
        // Only an unquoted null: `secretFile: ""` is an (empty) value, not an absent one.
        guard case .scalar(let scalar) = node, scalar.style == .plain else { return false }
        return ["", "~", "null", "Null", "NULL"].contains(scalar.string)
    }

    private static func join(_ prefix: String, _ key: String) -> String {
        prefix.isEmpty ? key : "\(prefix).\(key)"
    }

    private mutating func read(_ node: Node, shape: Shape, at path: String) throws(ConfigurationError) {
        // An empty value (`properties:` with nothing under it, as the chart renders) sets nothing.
        if Self.isNull(node) { return }
        switch shape {
        case .scalar:
            self.scalars[path] = try Self.scalar(node, at: path)
        case .list:
            switch node {
            case .scalar(let scalar):
                self.lists[path] = scalar.string.split(separator: ",").map(String.init)
            case .sequence(let sequence):
                var items: [String] = []
                for (index, item) in sequence.enumerated() {
                    items.append(try Self.scalar(item, at: "\(path)[\(index)]"))
                }
                self.lists[path] = items
            default:
                throw .invalid(path, "must be a list or a comma-separated string")
            }
        case .section(let keys):
            for (key, value) in try Self.pairs(node, at: path) {
                let child = Self.join(path, key)
                guard let childShape = keys[key] else {
                    throw .invalid(child, "unknown key in config file \(self.path)")
                }
                try self.read(value, shape: childShape, at: child)
            }
        case .stringMap:
            for (key, value) in try Self.pairs(node, at: path) {
                self.properties[key] = try Self.scalar(value, at: Self.join(path, key))
            }
        case .servers:
            guard case .sequence(let sequence) = node else {
                throw .invalid(path, "must be a list of {id, secretFile, keyId, keyIdFile}")
            }
            for (index, item) in sequence.enumerated() {
                let itemPath = "\(path)[\(index)]"
                var server = Server(index: index)
                for (key, value) in try Self.pairs(item, at: itemPath) {
                    let child = Self.join(itemPath, key)
                    guard Self.serverKeys.contains(key) else {
                        throw .invalid(child, "unknown key in config file \(self.path)")
                    }
                    if Self.isNull(value) { continue }
                    let text = try Self.scalar(value, at: child)
                    switch key {
                    case "id": server.id = text
                    case "secretFile": server.secretFile = text
                    case "keyIdFile": server.keyIDFile = text
                    default: server.keyID = text
                    }
                }
                self.servers.append(server)
            }
        }
    }

    /// The key/value pairs of a mapping, refusing duplicate keys (the second would silently win).
    private static func pairs(_ node: Node, at path: String) throws(ConfigurationError) -> [(String, Node)] {
        guard case .mapping(let mapping) = node else {
            throw .invalid(path, "must be a mapping")
        }
        var seen: Set<String> = []
        var result: [(String, Node)] = []
        for (keyNode, value) in mapping {
            let key = try Self.scalar(keyNode, at: path)
            guard seen.insert(key).inserted else {
                throw .invalid(Self.join(path, key), "appears twice in the config file")
            }
            result.append((key, value))
        }
        return result
    }

    private static func scalar(_ node: Node, at path: String) throws(ConfigurationError) -> String {
        guard case .scalar(let scalar) = node else {
            throw .invalid(path, "must be a single value, not a list or mapping")
        }
        return scalar.string
    }
}
