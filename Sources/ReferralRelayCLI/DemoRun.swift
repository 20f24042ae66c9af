import Foundation
import Kafka
import Logging
import ReferralKit
import ReferralSandbox
import Relay
import ServiceLifecycle

/// One run of `referral-relay demo`: embedded broker, sandbox, seed, relay, live progress,
/// graceful shutdown, checks and summary, all in this process over real loopback.
struct DemoRun {
    /// The command's options.
    var options: DemoOptions
    /// The product's default topic names.
    let topics = RelayConfiguration.Topics()

    /// Runs the demo.
    ///
    /// - Returns: Whether every check passed.
    /// - Throws: When a part could not even be started (broker, sandbox, seeding).
    func run() async throws -> Bool {
        let started = ContinuousClock.now
        let logs = try DemoLogFile(path: self.options.logFile ?? Self.defaultLogPath())
        let scenario = DemoScenario(accountCount: self.options.accounts)
        let plan = DemoPlan(scenario: scenario, topics: self.topics)
        DemoConsole.line(
            "referral-relay demo: \(scenario.accounts.count) players through the relay, over real loopback")
        DemoConsole.line(
            "  the sandbox answers \(Self.percent(self.options.failRate)) of requests 500 and drops "
                + "\(Self.percent(self.options.dropRate)) of connections (--fail-rate, --drop-rate)")

        // The secret is made first so that every logger can redact it.
        let secret = Self.randomSecret()
        let redactor = LogRedactor(secrets: [secret])
        let kafkaLogger = logs.logger("kafka", level: .warning, redactor: redactor)
        let cluster = try MockCluster(brokers: 1, logger: kafkaLogger)
        let allTopics = [
            self.topics.accountCreated, self.topics.milestoneReached, self.topics.outcomes, self.topics.dlq,
            self.topics.referees,
        ]
        for topic in allTopics {
            try await cluster.createTopic(topic, partitions: Self.partitions)
        }
        DemoConsole.line(
            "▸ embedded Kafka broker  \(cluster.bootstrapServers) · \(allTopics.joined(separator: ", ")) "
                + "(\(Self.partitions) partitions each)")

        let (addresses, listening) = AsyncStream.makeStream(of: SandboxAddress.self)
        let sandbox = SandboxServer(
            configuration: self.sandboxConfiguration(scenario: scenario, secret: secret),
            logger: logs.logger("sandbox", level: .warning, redactor: redactor),
            onListening: { listening.yield($0) }
        )
        let sandboxGroup = ServiceGroup(
            configuration: .init(
                services: [.init(service: sandbox)], logger: logs.logger("demo", level: .warning, redactor: redactor)))
        let environment = DemoEnvironment(
            cluster: cluster, sandbox: sandbox, secret: secret, logs: logs, redactor: redactor, kafkaLogger: kafkaLogger
        )

        let passed = try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask {
                defer { listening.finish() }
                try await sandboxGroup.run()
            }
            let result: Result<Bool, any Error>
            do {
                guard let address = await addresses.first(where: { _ in true }) else {
                    throw DemoError("the sandbox did not start")
                }
                result = .success(
                    try await self.run(scenario: scenario, plan: plan, environment: environment, address: address))
            } catch {
                result = .failure(error)
            }
            await sandboxGroup.triggerGracefulShutdown()
            try await tasks.waitForAll()
            return try result.get()
        }
        let total = DemoConsole.seconds(ContinuousClock.now - started)
        DemoConsole.line()
        DemoConsole.line(
            passed
                ? "demo: every outcome is what it should be (\(total); relay log: \(logs.path))"
                : "demo: FAILED, see ✗ above (\(total); relay log: \(logs.path))")
        return passed
    }

    /// With the sandbox listening: seed, run the relay, watch, stop it, check.
    private func run(
        scenario: DemoScenario,
        plan: DemoPlan,
        environment: DemoEnvironment,
        address: SandboxAddress
    ) async throws -> Bool {
        let brokers = environment.cluster.bootstrapServers.split(separator: ",").map(String.init)
        DemoConsole.line(
            "▸ MMOLove sandbox        \(address.baseURL) · server \(DemoScenario.serverID), a random secret, "
                + "\(scenario.unknownTokens.count) unknown token")
        try await self.registerRival(scenario: scenario, endpoint: address.eventsURL, secret: environment.secret)
        try environment.sandbox.store.setFaults(self.faults)

        let seeder = try DemoSeeder(bootstrapServers: brokers, logger: environment.kafkaLogger)
        try await seeder.produce(plan.early)
        let created = plan.early.filter { $0.topic == self.topics.accountCreated }.count
        let milestones = plan.early.count - created
        DemoConsole.line(
            "▸ seeded                 \(created) account-created (1 malformed, \(plan.late.count) held back), "
                + "\(milestones) milestone-reached; "
                + "\(plan.expectations.outcomes.count) referral events expected, \(plan.skipped) records to skip")

        let observer = try await DemoObserver(
            bootstrapServers: brokers, outcomesTopic: self.topics.outcomes, dlqTopic: self.topics.dlq,
            partitions: Self.partitions, logger: environment.kafkaLogger)
        let relayConfiguration = self.relayConfiguration(
            brokers: brokers, endpoint: address.eventsURL, secret: environment.secret)
        // The store's local copy belongs to this run's broker: removed with it.
        defer {
            if let directory = relayConfiguration.referees.directory {
                try? FileManager.default.removeItem(atPath: directory)
            }
        }
        let relay = try DemoRelay(
            configuration: relayConfiguration,
            logger: environment.logs.logger(
                "referral-relay", level: self.options.logLevel, redactor: environment.redactor))
        DemoConsole.line("▸ relay                  group \(Self.groupID), logs → \(environment.logs.path)")

        async let observing: Void = observer.runUntilClosed()
        async let relaying: Void = relay.run()
        let watch = DemoWatch(
            plan: plan, scenario: scenario, observer: observer, relay: relay, sandbox: environment.sandbox,
            seeder: seeder, timeout: .seconds(self.options.timeout))
        let waited = await watch.run()
        DemoConsole.line("▸ stopping the relay     graceful shutdown: stop intake, drain, commit, leave the group")
        let stopping = ContinuousClock.now
        await relay.shutdown()
        await relaying
        DemoConsole.line("▸ relay stopped          in \(DemoConsole.seconds(ContinuousClock.now - stopping))")
        _ = await observer.catchUp(timeout: .seconds(5))
        await observer.close()
        await observing
        await seeder.close()

        let offsets = try await self.inputProgress(brokers: brokers, logger: environment.kafkaLogger)
        let verification = DemoVerification(
            plan: plan, scenario: scenario, reports: seeder.reports, observed: observer.snapshot,
            sandboxLog: environment.sandbox.store.log, offsets: offsets, relayFailure: relay.status.failure)
        var checks = verification.checks
        if let problem = waited.problem {
            checks.insert(DemoCheck("every expected record arrived in time", problems: [problem]), at: 0)
        }
        DemoSummary(plan: plan, scenario: scenario, observed: observer.snapshot, checks: checks).print()
        if let path = self.options.outcomesFile {
            try Self.writeOutcomes(observer.snapshot.outcomes, to: path)
            DemoConsole.line("  outcome records written to \(path)")
        }
        return checks.allSatisfy(\.passed)
    }

    /// Before the relay starts, a rival referrer registers the first-touch player with another
    /// token, so the relay's `registered` for that player loses the race.
    private func registerRival(scenario: DemoScenario, endpoint: String, secret: ReferralSecret) async throws {
        guard let race = scenario.account(.firstTouchRace) else { return }
        let client = try ReferralClient(serverId: DemoScenario.serverID, secret: secret, endpoint: endpoint)
        let answer: Result<SendResult, ReferralError>
        do {
            answer = .success(
                try await client.registered(
                    token: scenario.rivalToken, refereeIdentity: race.id, serverEventId: "reg-\(race.id)"))
        } catch {
            answer = .failure(error)
        }
        try await client.shutdown()
        let result = try answer.get()
        guard result.ok else {
            throw DemoError("the rival referrer's registration was answered \(result.status) \(result.body)")
        }
        DemoConsole.line(
            "▸ first-touch race       \(race.id) registered first by a rival referrer (\(scenario.rivalToken)): "
                + "\(result.status) \(result.body)")
    }

    /// The relay group's committed offsets and the end of every input partition.
    private func inputProgress(
        brokers: [String],
        logger: Logger
    ) async throws -> [KafkaTopicPartition: DemoVerification.PartitionProgress] {
        // Outside the group (no subscribe): reading committed offsets does not join it.
        let consumer = try KafkaConsumer(
            configuration: KafkaConsumerConfiguration(bootstrapServers: brokers, groupID: Self.groupID), logger: logger)
        let partitions = [self.topics.accountCreated, self.topics.milestoneReached].flatMap { topic in
            (0..<Int32(Self.partitions)).map { KafkaTopicPartition(topic: topic, partition: $0) }
        }
        var progress: [KafkaTopicPartition: DemoVerification.PartitionProgress] = [:]
        do {
            let committed = try await consumer.committed(partitions)
            for partition in partitions {
                let marks = try await consumer.watermarks(topic: partition.topic, partition: partition.partition)
                progress[partition] = .init(committed: committed[partition], end: marks.high)
            }
        } catch {
            await consumer.close()
            throw error
        }
        await consumer.close()
        return progress
    }

    private static func writeOutcomes(_ outcomes: [DemoReceivedOutcome], to path: String) throws {
        let lines = outcomes.map { $0.raw + "\n" }.joined()
        try Data(lines.utf8).write(to: URL(fileURLWithPath: path))
    }

    private static func defaultLogPath() -> String {
        FileManager.default.temporaryDirectory
            .appendingPathComponent("referral-relay-demo-\(ProcessInfo.processInfo.processIdentifier).log").path
    }

    private static func percent(_ rate: Double) -> String {
        "\(Int((rate * 100).rounded()))%"
    }
}

/// The parts a demo run shares between its steps.
struct DemoEnvironment: Sendable {
    /// The embedded broker.
    var cluster: MockCluster
    /// The sandbox (its store is read in-process).
    var sandbox: SandboxServer
    /// The secret shared by the relay and the sandbox.
    var secret: ReferralSecret
    /// Where logs go.
    var logs: DemoLogFile
    /// Hides the secret in every log line.
    var redactor: LogRedactor
    /// The Kafka clients' logger.
    var kafkaLogger: Logger
}

/// A demo failure that stops it before the checks.
struct DemoError: Error, CustomStringConvertible {
    /// What went wrong.
    var description: String

    init(_ description: String) { self.description = description }
}
