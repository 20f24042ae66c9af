/// The rules for librdkafka properties passed through from `kafka.properties` and `RDKAFKA_*`
/// variables: name decoding, the properties the relay owns, and which client each applies to.
public enum LibrdkafkaProperties {
    /// The property an `RDKAFKA_*` variable sets, or `nil` for a name without the prefix or
    /// with nothing after it.
    ///
    /// After ``EnvironmentKey/librdkafkaPropertyPrefix`` the name is read left to right in one
    /// pass, taking the longest run of underscores first: `___` → `-`, `__` → `_`, `_` → `.`;
    /// the rest is lower-cased. One pass matters: replacing `__` by `_` and then `_` by `.` in
    /// two passes would turn `RDKAFKA_CONSUME__CALLBACK__MAX__MESSAGES` into `consume.callback.max.messages`.
    ///
    /// `RDKAFKA_SASL_PASSWORD` → `sasl.password`, `RDKAFKA_SSL_KEY_PASSWORD` →
    /// `ssl.key.password`, `RDKAFKA_CONSUME__CALLBACK__MAX__MESSAGES` →
    /// `consume_callback_max_messages`, `RDKAFKA_X___Y` → `x-y`.
    public static func propertyName(forEnvironmentName name: String) -> String? {
        let prefix = EnvironmentKey.librdkafkaPropertyPrefix
        guard name.hasPrefix(prefix), name.count > prefix.count else { return nil }
        var result = ""
        var underscores = 0
        func flush() {
            // Runs longer than three are read as repeated `___` then the remainder, like the
            // chart test's regex `___|__|_` does.
            while underscores >= 3 {
                result.append("-")
                underscores -= 3
            }
            if underscores == 2 { result.append("_") }
            if underscores == 1 { result.append(".") }
            underscores = 0
        }
        for character in name.dropFirst(prefix.count) {
            if character == "_" {
                underscores += 1
            } else {
                flush()
                result.append(contentsOf: character.lowercased())
            }
        }
        flush()
        return result
    }

    /// The `RDKAFKA_*` variable that sets `property` (the inverse of
    /// ``propertyName(forEnvironmentName:)``): `_` → `__`, `-` → `___`, `.` → `_`, upper-cased.
    public static func environmentName(forProperty property: String) -> String {
        var body = ""
        for character in property {
            switch character {
            case "_": body += "__"
            case "-": body += "___"
            case ".": body += "_"
            default: body += character.uppercased()
            }
        }
        return EnvironmentKey.librdkafkaPropertyPrefix + body
    }

    /// Properties the relay sets itself, with the reason overriding them is refused.
    public static let owned: [String: String] = [
        "bootstrap.servers": "set the brokers with KAFKA_BROKERS / kafka.brokers",
        "metadata.broker.list": "set the brokers with KAFKA_BROKERS / kafka.brokers",
        "group.id": "set the consumer group with KAFKA_GROUP_ID / kafka.groupId",
        "enable.auto.commit":
            "the relay commits an offset only once its record is settled (at-least-once); auto-commit would lose records",
        "auto.commit.enable":
            "the relay commits an offset only once its record is settled (at-least-once); auto-commit would lose records",
        "enable.auto.offset.store":
            "the relay stores an offset only once its record is settled (at-least-once); auto-store would lose records",
        "auto.offset.reset":
            "the relay starts a new group at the earliest offset so no record produced before it is skipped",
        "enable.partition.eof": "the relay's consumer loop does not expect end-of-partition events",
        "enable.idempotence":
            "librdkafka's idempotent producer spins a core while a partition's request is in flight; the relay's own ordering and at-least-once contract make it unnecessary (docs/DESIGN.md)",
        "acks": "outcome records count as settled only once every in-sync replica has them (acks=all)",
        "request.required.acks":
            "outcome records count as settled only once every in-sync replica has them (acks=all)",
        "transactional.id": "the relay's producer is not transactional",
        "log.queue":
            "the relay reads librdkafka's log lines as they are written: its consumer's join state, which holds commits, comes from them",
    ]

    /// Properties that only a consumer understands (scope `C` in librdkafka 2.x's
    /// CONFIGURATION.md). Given to a producer, librdkafka logs a warning and ignores them, so the
    /// producer is not given them.
    public static let consumerOnly: Set<String> = [
        "group.id", "group.instance.id", "partition.assignment.strategy", "session.timeout.ms",
        "heartbeat.interval.ms", "group.protocol.type", "coordinator.query.interval.ms",
        "max.poll.interval.ms", "enable.auto.commit", "auto.commit.interval.ms", "enable.auto.offset.store",
        "queued.min.messages", "queued.max.messages.kbytes", "fetch.wait.max.ms", "fetch.message.max.bytes",
        "max.partition.fetch.bytes", "fetch.max.bytes", "fetch.min.bytes", "fetch.error.backoff.ms",
        "offset.store.method", "isolation.level", "enable.partition.eof", "check.crcs",
        "allow.auto.create.topics", "auto.commit.enable", "auto.offset.reset", "offset.store.path",
        "offset.store.sync.interval.ms", "consume.callback.max.messages",
    ]

    /// Properties that only a producer understands (scope `P`); not given to the consumer, for
    /// the same reason.
    public static let producerOnly: Set<String> = [
        "transactional.id", "transaction.timeout.ms", "enable.idempotence", "enable.gapless.guarantee",
        "queue.buffering.max.messages", "queue.buffering.max.kbytes", "queue.buffering.max.ms", "linger.ms",
        "message.send.max.retries", "retries", "queue.buffering.backpressure.threshold", "compression.codec",
        "compression.type", "batch.num.messages", "batch.size", "delivery.report.only.error",
        "sticky.partitioning.linger.ms", "request.required.acks", "acks", "request.timeout.ms",
        "message.timeout.ms", "delivery.timeout.ms", "queuing.strategy", "produce.offset.report", "partitioner",
        "compression.level",
    ]
}
