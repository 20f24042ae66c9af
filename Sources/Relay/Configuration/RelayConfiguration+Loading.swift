import Logging
import ReferralKit

extension RelayConfiguration {
    /// Builds and validates the configuration of `referral-relay run` from an optional YAML file
    /// and the environment; an environment variable wins over its YAML key.
    ///
    /// The names are ``EnvironmentKey``'s and the YAML layout is the Helm chart's
    /// (`docs/CONFIGURATION.md` lists both). `RDKAFKA_*` variables are laid over
    /// `kafka.properties`. Secret files are read here, once.
    ///
    /// - Parameters:
    ///   - configFile: Path of the YAML file (`--config`), or `nil` for the environment alone.
    ///   - environment: The process environment (tests pass their own).
    /// - Returns: A configuration in which every value has been checked.
    /// - Throws: ``ConfigurationError`` naming the first setting at fault: the environment
    ///   variable when the value came from the environment, the dotted YAML path when it came
    ///   from the file, both names when a required setting is missing.
    public static func load(
        configFile: String?,
        environment: [String: String]
    ) throws(ConfigurationError) -> RelayConfiguration {
        let file = try configFile.map { path throws(ConfigurationError) in
            try ConfigurationFile(contentsOfFile: path)
        }
        return try self.load(ConfigurationSources(environment: environment, file: file))
    }

    /// Builds the configuration from YAML text instead of a file (tests, embedded defaults).
    ///
    /// - Parameters:
    ///   - yaml: The config file's content.
    ///   - environment: The environment laid over it.
    /// - Throws: ``ConfigurationError`` as for ``load(configFile:environment:)``.
    public static func load(
        yaml: String,
        environment: [String: String]
    ) throws(ConfigurationError) -> RelayConfiguration {
        let file = try ConfigurationFile(yaml: yaml, path: "<inline>")
        return try self.load(ConfigurationSources(environment: environment, file: file))
    }

    static func load(_ sources: ConfigurationSources) throws(ConfigurationError) -> RelayConfiguration {
        let kafka = try self.loadKafka(sources)
        let mmolove = try self.loadMMOLove(sources)
        let delivery = try self.loadDelivery(sources)

        let logLevelValue = sources.string(.logLevel, "relay.logLevel", default: "info")
        guard let logLevel = Logger.Level(rawValue: logLevelValue.0.lowercased()) else {
            let levels = Logger.Level.allCases.map(\.rawValue).joined(separator: ", ")
            throw .invalid(logLevelValue.key, "must be one of \(levels), got '\(logLevelValue.0)'")
        }
        let logFormatValue = sources.string(.logFormat, "relay.logFormat", default: "json")
        guard let logFormat = LogFormat(rawValue: logFormatValue.0.lowercased()) else {
            throw .invalid(logFormatValue.key, "must be json or text, got '\(logFormatValue.0)'")
        }
        let opsHost = sources.string(.opsHost, "relay.opsHost", default: "0.0.0.0")
        guard !opsHost.0.isEmpty else {
            throw .invalid(opsHost.key, "must not be empty")
        }

        var configuration = RelayConfiguration(
            kafka: kafka,
            mmolove: mmolove,
            delivery: delivery,
            qualifyingMilestones: Set(sources.list(.qualifyingMilestones, "relay.qualifyingMilestones")?.items ?? []),
            opsPort: try sources.integer(
                .opsPort,
                "relay.opsPort",
                default: 8080,
                in: 0...65535,
                expected: "a port number 0...65535 (0 picks a free port)"
            ),
            opsHost: opsHost.0,
            logLevel: logLevel,
            logFormat: logFormat,
            drainTimeout: try sources.duration(
                .drainTimeoutSeconds,
                "relay.drainTimeoutSeconds",
                default: .seconds(20),
                unit: .seconds
            ),
            commitInterval: try sources.duration(
                .commitIntervalMs,
                "relay.commitIntervalMs",
                default: .seconds(5),
                unit: .milliseconds
            )
        )
        try self.loadLimits(sources, into: &configuration)
        configuration.referees = try RefereeSettings.load(sources)
        return configuration
    }

    /// The size limit of input records and the bounds on records that hold their partition.
    private static func loadLimits(
        _ sources: ConfigurationSources,
        into configuration: inout RelayConfiguration
    ) throws(ConfigurationError) {
        configuration.maxInputBytes = try sources.integer(
            .maxInputBytes,
            "relay.maxInputBytes",
            default: Self.defaultMaxInputBytes,
            in: 1_024...Int(Int32.max),
            expected: "a whole number of bytes, at least 1024"
        )
        configuration.heldPartitionReadiness = try sources.duration(
            .heldPartitionReadinessSeconds,
            "relay.heldPartitionReadinessSeconds",
            default: .seconds(300),
            unit: .seconds
        )
        configuration.unknownTopicGrace = try sources.duration(
            .unknownTopicGraceSeconds,
            "relay.unknownTopicGraceSeconds",
            default: .seconds(300),
            unit: .seconds
        )
    }

    private static func loadDelivery(_ sources: ConfigurationSources) throws(ConfigurationError) -> Delivery {
        let maxInFlight = try sources.integer(
            .maxInFlight,
            "relay.maxInFlight",
            default: 256,
            in: 1...Int.max,
            expected: "a whole number of at least 1"
        )
        let maxAttempts = try sources.integer(
            .maxAttempts,
            "relay.maxAttempts",
            default: 0,
            in: 0...Int.max,
            expected: "a whole number of at least 0 (0: retry without limit)"
        )
        let initialBackoff = try sources.duration(
            .retryInitialBackoffMs,
            "relay.retry.initialBackoffMs",
            default: .milliseconds(200),
            unit: .milliseconds
        )
        let maxBackoff = try sources.duration(
            .retryMaxBackoffSeconds,
            "relay.retry.maxBackoffSeconds",
            default: .seconds(30),
            unit: .seconds
        )
        let rateLimit = try sources.integer(
            .rateLimit,
            "relay.rateLimit",
            default: 0,
            in: 0...1_000_000,
            expected: "events per second, a whole number of at least 0 (0: no limit)"
        )
        guard initialBackoff <= maxBackoff else {
            let key =
                sources.value(.retryInitialBackoffMs, "relay.retry.initialBackoffMs")?.key
                ?? EnvironmentKey.retryInitialBackoffMs.rawValue
            let other =
                sources.value(.retryMaxBackoffSeconds, "relay.retry.maxBackoffSeconds")?.key
                ?? EnvironmentKey.retryMaxBackoffSeconds.rawValue
            throw .invalid(key, "must not exceed the largest backoff (\(other))")
        }
        let adaptiveInitial = try sources.integer(
            .adaptiveConcurrencyInitial,
            "relay.adaptiveConcurrencyInitial",
            default: 0,
            in: 0...Int.max,
            expected: "a whole number of at least 0 (0: 32, or the events in flight when fewer)"
        )
        if adaptiveInitial > maxInFlight {
            let key =
                sources.value(.adaptiveConcurrencyInitial, "relay.adaptiveConcurrencyInitial")?.key
                ?? EnvironmentKey.adaptiveConcurrencyInitial.rawValue
            let other = sources.value(.maxInFlight, "relay.maxInFlight")?.key ?? EnvironmentKey.maxInFlight.rawValue
            throw .invalid(key, "must not exceed the events in flight (\(other), \(maxInFlight))")
        }
        return Delivery(
            maxInFlight: maxInFlight,
            maxAttempts: maxAttempts == 0 ? nil : maxAttempts,
            initialBackoff: initialBackoff,
            maxBackoff: maxBackoff,
            qualifiedWait: try sources.duration(
                .qualifiedWaitSeconds,
                "relay.qualifiedWaitSeconds",
                default: .seconds(120),
                unit: .seconds
            ),
            rateLimit: rateLimit == 0 ? nil : Double(rateLimit),
            adaptiveConcurrency: try sources.bool(.adaptiveConcurrency, "relay.adaptiveConcurrency", default: true),
            adaptiveConcurrencyInitial: adaptiveInitial == 0 ? nil : adaptiveInitial
        )
    }
}
