import Foundation
import Kafka
import Relay

/// Row 10 (issue 12): a cold instance restoring the referee store. The referees topic holds one
/// record per referred account; `referral-referees restore` runs as a child process (its memory
/// its own) with an empty local copy, then again over the copy it left (a restart). Ceiling: a
/// plain consumer reading the same topic in this process.
struct RefereeRestoreBench {
    /// Shared settings.
    let context: BenchContext

    static let topic = "referral-referees"

    /// Partitions of the topic: the embedded broker keeps only the last few MiB of a partition
    /// (1,000,000 records over 6 partitions kept 155,000), so about 20,000 records each.
    var partitions: Int { max(6, self.context.sizes.refereeAccounts / 20_000) }

    func run() async throws -> RowResult {
        let accounts = self.context.sizes.refereeAccounts
        let broker = try await BenchBroker(
            topics: [
                BenchBroker.Topic.accountCreated: 12, BenchBroker.Topic.milestoneReached: 12,
                BenchBroker.Topic.outcomes: 3, BenchBroker.Topic.dlq: 1, Self.topic: self.partitions,
            ],
            logger: self.context.logger)
        let encoder = JSONEncoder()
        try await broker.load(accounts) { index in
            let record = RefereeRecord(
                accountID: "player-\(index)", mmref: "mmref_\(index)_\(index &* 2_654_435_761 % 1_000_003)",
                serverID: InputRecords.serverID, registration: index % 50 == 0 ? .firstTouchConflict : .advanced,
                updatedAtMilliseconds: 1_796_000_000_000 + Int64(index))
            let value = (try? encoder.encode(record)) ?? Data()
            return KafkaProducerRecord(topic: Self.topic, key: Array(record.accountID.utf8), value: Array(value))
        }
        let (ceiling, ceilingRead) = try await self.rawRead(broker, expected: accounts)
        let directory = NSTemporaryDirectory() + "referral-relay-bench-referees-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let cold = try await self.restore(broker, directory: directory)
        let warm = try await self.restore(broker, directory: directory)
        guard cold.accounts == accounts else {
            throw BenchError("the cold restore holds \(cold.accounts) of \(accounts) accounts; log: \(cold.log)")
        }
        let rate = Double(accounts) / max(cold.seconds, 0.001)
        let mib = { (kib: Int) in String(format: "%.1f MiB", Double(kib) / 1024) }
        return RowResult(
            row: .refereeRestore,
            stage: BenchRow.refereeRestore.stage,
            what:
                "\(accounts.grouped) referred accounts in the store's topic (\(self.partitions) partitions), cold instance",
            result:
                "\(String(format: "%.2f", cold.seconds)) s (\(Int(rate).grouped) acc/s), RSS peak \(mib(cold.peakKiB)), "
                + "disk \(String(format: "%.0f", Double(cold.bytes) / Double(accounts))) B/acc; restart \(String(format: "%.2f", warm.seconds)) s",
            ceiling: "\(Int(ceiling).grouped) rec/s (plain consumer)",
            ratio: rate / ceiling,
            numbers: [
                "accounts": Double(accounts), "coldSeconds": cold.seconds, "accountsPerSecond": rate,
                "peakRSSKiB": Double(cold.peakKiB), "finalRSSKiB": Double(cold.finalKiB),
                "bytesOnDisk": Double(cold.bytes),
                "restartSeconds": warm.seconds, "restartPeakRSSKiB": Double(warm.peakKiB), "ceilingPerSecond": ceiling,
            ],
            notes: [
                "referral-relay referees restore as a child process, an empty local copy (SQLite on local disk), "
                    + "then again over the copy it left",
                "RSS sampled every 100 ms: peak during the restore, last sample before exit \(mib(cold.finalKiB))",
                ceilingRead < accounts
                    ? "the plain consumer read only \(ceilingRead.grouped) of \(accounts.grouped) records within 120 s (its rate is of those)"
                    : "the plain consumer read every record",
            ],
            failure: nil)
    }

    /// One `referees restore`: its own figures and its RSS.
    private struct Restore {
        var accounts: Int
        var seconds: Double
        var bytes: Int64
        var peakKiB: Int
        var finalKiB: Int
        var log: String
    }

    private func restore(_ broker: BenchBroker, directory: String) async throws -> Restore {
        let child = try ChildRelay(
            executable: self.context.relayExecutable,
            environment: [
                "KAFKA_BROKERS": broker.cluster.bootstrapServers,
                "KAFKA_GROUP_ID": "bench-referees",
                "MMOLOVE_SERVER_ID": InputRecords.serverID,
                "MMOLOVE_REFERRAL_SECRET": "whsec_bench_not_a_real_secret",
                "RELAY_REFEREE_STORE_DIR": directory,
            ],
            arguments: ["referees", "restore"])
        let sampler = RSSSampler(pid: child.pid)
        let sampling = Task { await sampler.run() }
        // Ten minutes, more past 6 million accounts (a cold restore runs at 10,000-90,000 a second).
        let status = await child.waitForExit(timeout: .seconds(max(600, self.context.sizes.refereeAccounts / 10_000)))
        sampling.cancel()
        guard status == 0 else {
            _ = await child.stop(timeout: .seconds(5))
            throw BenchError(
                "referees restore exited with \(status.map { String($0) } ?? "no status"); log: \(child.logPath)")
        }
        let output = (try? String(contentsOfFile: child.logPath, encoding: .utf8)) ?? ""
        // "restored N accounts in T s; local copy B bytes in DIR"
        guard let line = output.split(separator: "\n").first(where: { $0.hasPrefix("restored ") }) else {
            throw BenchError("referees restore printed no summary; log: \(child.logPath)")
        }
        let words = line.split(separator: " ")
        let samples = sampler.samples(from: 0, to: Int64.max).map(\.kilobytes)
        return Restore(
            accounts: Int(words[1]) ?? -1, seconds: Double(words[4]) ?? -1,
            bytes: Int64(words[8]) ?? -1, peakKiB: samples.max() ?? 0, finalKiB: samples.last ?? 0,
            log: child.logPath)
    }

    /// Records per second a plain consumer reads the topic at, in this process.
    private func rawRead(_ broker: BenchBroker, expected: Int) async throws -> (rate: Double, read: Int) {
        var configuration = KafkaConsumerConfiguration(
            bootstrapServers: [broker.cluster.bootstrapServers], groupID: "bench-referees-raw")
        configuration.bufferCapacity = 4_096
        let consumer = try KafkaConsumer(configuration: configuration, logger: self.context.logger)
        try await consumer.assign(
            Dictionary(
                uniqueKeysWithValues: (0..<self.partitions).map {
                    (KafkaTopicPartition(topic: Self.topic, partition: Int32($0)), KafkaOffset.beginning)
                }))
        let started = ContinuousClock.now
        // Bounded: a read that stalls must not hang the suite (the rate is then of what was read).
        let reading = Task {
            var read = 0
            for try await event in consumer.events {
                if case .message = event { read += 1 }
                if read >= expected { break }
            }
            return (read, ContinuousClock.now - started)
        }
        let timer = Task {
            try await Task.sleep(for: .seconds(120))
            await consumer.close()
        }
        let (read, elapsed) = try await reading.value
        timer.cancel()
        await consumer.close()
        // A read that stopped short still gives a rate (of what was read); the notes say so.
        return (Double(read) / max(elapsed.seconds, 0.001), read)
    }
}
