import Kafka

extension RelayCheck {
    /// The brokers, the four topics, the group's offsets and a commit to the check group.
    ///
    /// Unreachable brokers cost one metadata request, which gives up after ``timeout``
    /// (librdkafka itself retries connections forever); every check after it is reported
    /// skipped. The request blocks the consumer's worker thread, never the cooperative pool.
    func kafkaChecks() async -> [Result] {
        let kafka = self.configuration.kafka
        let consumer: KafkaConsumer
        do {
            consumer = try KafkaConsumer(
                configuration: kafka.toolConsumerConfiguration(
                    clientID: relayClientID + "-check", groupID: kafka.groupID),
                logger: self.logger)
        } catch {
            return [Result("kafka brokers", .failed, error.reason)]
        }
        var results: [Result] = []
        var topics = [
            (kafka.topics.accountCreated, "input"), (kafka.topics.milestoneReached, "input"),
            (kafka.topics.outcomes, "outcomes"), (kafka.topics.dlq, "dead letters"),
        ]
        // `run` refuses to start without it while the store is on (the default).
        if self.configuration.referees.enabled { topics.append((kafka.topics.referees, "referee store")) }
        var topicRows: [Result] = []
        var inputPartitions: [KafkaTopicPartition] = []
        var unreachable: KafkaError?
        for (topic, role) in topics {
            if unreachable != nil {
                topicRows.append(Result("topic \(topic)", .skipped, "brokers unreachable"))
                continue
            }
            do {
                let partitions = try await consumer.partitions(of: topic, timeout: self.timeout)
                if role == "input" { inputPartitions += partitions }
                topicRows.append(Result("topic \(topic)", .ok, "\(partitions.count) partitions (\(role))"))
            } catch  where error.code == .unknownTopicOrPartition {
                topicRows.append(Result("topic \(topic)", .failed, "does not exist (\(role))"))
            } catch {
                unreachable = error
                topicRows.append(Result("topic \(topic)", .skipped, "brokers unreachable"))
            }
        }
        let brokers = kafka.brokers.joined(separator: ",")
        if let unreachable {
            let detail = Self.unreachableDetail(
                brokers: brokers, error: unreachable, connection: consumer.lastClientError, timeout: self.timeout)
            results.append(Result("kafka brokers", .failed, detail))
        } else {
            results.append(Result("kafka brokers", .ok, "\(brokers) answered metadata requests"))
        }
        results += topicRows
        guard unreachable == nil else {
            // Quick even now (measured: milliseconds): this consumer never joined its group, so
            // there is nothing to leave, and the handle's destroy, which joins librdkafka's
            // threads still retrying the brokers, runs on the poll thread after close returns.
            await consumer.close()
            let skipped = "brokers unreachable"
            return results + [
                Result("group \(kafka.groupID)", .skipped, skipped),
                Result(Self.commitCheckName(live: kafka.groupID), .skipped, skipped),
            ]
        }
        let (group, committed) = await self.groupOffsetsCheck(consumer, partitions: inputPartitions)
        await consumer.close()
        results.append(group)
        results.append(await self.groupCommitCheck(partitions: inputPartitions, committed: committed))
        return results
    }

    /// The `kafka brokers` detail when the metadata request failed: the bootstrap servers, the
    /// request's error, and librdkafka's last error about reaching them, which names the broker
    /// and what went wrong (`Connection refused`, a failed lookup or handshake). Both are
    /// scrubbed of the configuration's secrets by the Kafka module.
    static func unreachableDetail(
        brokers: String,
        error: KafkaError,
        connection: KafkaError?,
        timeout: Duration
    ) -> String {
        // `_TRANSPORT`: no broker could be reached; `_TIMED_OUT`: one was, but did not answer.
        let waited =
            error.code == .transport || error.code == .timedOut
            ? "no metadata within \(timeout.components.seconds) s" : "the metadata request failed"
        let detail = "\(brokers): \(waited) (\(error.code.name): \(error.reason))"
        guard let connection else { return detail }
        return detail + "; last connection error: \(connection.reason)"
    }

    /// Reads the relay's group's committed offsets (an OffsetFetch: it changes nothing).
    private func groupOffsetsCheck(
        _ consumer: KafkaConsumer,
        partitions: [KafkaTopicPartition]
    ) async -> (Result, committed: [KafkaTopicPartition: Int64]?) {
        let name = "group \(self.configuration.kafka.groupID)"
        guard !partitions.isEmpty else { return (Result(name, .skipped, "no input partition found"), nil) }
        do {
            let committed = try await consumer.committed(partitions, timeout: self.timeout)
            let detail =
                "committed offsets readable: \(committed.count) of \(partitions.count) input partitions committed"
            return (Result(name, .ok, detail), committed)
        } catch {
            return (
                Result(name, .failed, "cannot read the committed offsets: \(error.code.name): \(error.reason)"), nil
            )
        }
    }

    /// The name of the commit check's row: it names the group it commits to, `<groupId>-check`,
    /// so an operator whose ACLs name groups literally sees which group to allow.
    static func commitCheckName(live: String) -> String { "commit to group \(Self.checkGroupID(live: live))" }

    /// The detail of a failed commit: the group, librdkafka's code and reason, and, when the
    /// broker refused the group (`GROUP_AUTHORIZATION_FAILED`), that this is the check's own
    /// group, which an ACL naming only the relay's group does not cover.
    static func commitFailureDetail(group: String, error: KafkaError) -> String {
        let detail = "\(group): \(error.code.name): \(error.reason)"
        // Matched by name: the binding has no constant for it, and only this report needs it.
        guard error.code.name == "GROUP_AUTHORIZATION_FAILED" else { return detail }
        return detail
            + " (the check's own group, not the relay's: a literal group ACL must also allow Read on \(group),"
            + " or use one ACL prefixed with the relay's group id)"
    }

    /// Commits the relay's committed offsets (0 where it has none) to the check group and reads
    /// them back. The relay's own group is never written.
    private func groupCommitCheck(
        partitions: [KafkaTopicPartition],
        committed: [KafkaTopicPartition: Int64]?
    ) async -> Result {
        let kafka = self.configuration.kafka
        let group = Self.checkGroupID(live: kafka.groupID)
        let name = Self.commitCheckName(live: kafka.groupID)
        guard let committed, !partitions.isEmpty else {
            return Result(name, .skipped, "the group's offsets could not be read")
        }
        var offsets: [KafkaTopicPartition: Int64] = [:]
        for partition in partitions { offsets[partition] = committed[partition] ?? 0 }
        do {
            let consumer = try KafkaConsumer(
                configuration: kafka.toolConsumerConfiguration(clientID: relayClientID + "-check", groupID: group),
                logger: self.logger)
            let result: Result
            do {
                try await consumer.commit(offsets, rebalanceWait: self.timeout)
                let readBack = try await consumer.committed(partitions, timeout: self.timeout)
                result =
                    readBack == offsets
                    ? Result(
                        name, .ok,
                        "committed \(offsets.count) offsets to \(group) and read them back "
                            + "(the check's own group: the relay's group is never written)")
                    : Result(name, .failed, "\(group): the committed offsets did not read back")
            } catch {
                result = Result(name, .failed, Self.commitFailureDetail(group: group, error: error))
            }
            await consumer.close()
            return result
        } catch {
            return Result(name, .failed, Self.commitFailureDetail(group: group, error: error))
        }
    }

    /// The relay's producer (same properties): the outcome and dead-letter topics seen through
    /// its connection (but those in `missing`, reported already). Writes nothing. The relay's
    /// producer is not idempotent, so no producer id (nor the `IdempotentWrite` permission) is
    /// needed; a missing `Write` permission is found only by writing.
    func producerCheck(skipping missing: [String]) async -> Result {
        let name = "kafka producer"
        let topics = self.configuration.kafka.topics
        let producerConfiguration = self.configuration.producerConfiguration(clientID: relayClientID + "-check")
        let producer: KafkaProducer
        do {
            producer = try KafkaProducer(configuration: producerConfiguration, logger: self.logger)
        } catch {
            return Result(name, .failed, "\(error.code.name): \(error.reason)")
        }
        let result: Result
        do {
            let visible = [topics.outcomes, topics.dlq].filter { !missing.contains($0) }
            for topic in visible {
                _ = try await producer.partitions(of: topic, timeout: self.timeout)
            }
            result =
                visible.isEmpty
                ? Result(name, .skipped, "no output topic to look up (missing, above)")
                : Result(name, .ok, "output topics visible through its connection; nothing written")
        } catch {
            result = Result(name, .failed, "\(error.code.name): \(error.reason)")
        }
        await producer.close(timeout: .seconds(1))
        return result
    }
}
