import CRDKafka
import Logging

/// The `@convention(c)` callbacks installed on every configuration. They cannot capture
/// context, so each recovers the ``RDKafkaClientContext`` from the handle's opaque pointer.
enum RDKafkaCallbacks {
    /// Installs log, error, statistics (and, when asked, rebalance and commit) callbacks.
    static func install(on conf: OpaquePointer, consumer: Bool) {
        rd_kafka_conf_set_log_cb(conf) { rk, level, facility, message in
            guard let rk, let context = RDKafkaClientContext.from(rd_kafka_opaque(rk)) else { return }
            let fac = facility.map { String(cString: $0) } ?? ""
            // Called synchronously where librdkafka changes the join state, before it sends the
            // JoinGroup: commits are held from here on (see KafkaGroupJoin).
            if let join = context.groupJoin, fac == "CGRPJOINSTATE" {
                join.log(facility: fac, message: message.map { String(cString: $0) } ?? "")
            }
            let swiftLevel = RDKafkaCallbacks.logLevel(syslog: level)
            // The `cgrp` debug context is always on for group consumers: skip the scrubbing of
            // lines nobody will read.
            guard context.logger.logLevel <= swiftLevel else { return }
            // librdkafka quotes configuration values in some lines (a malformed
            // sasl.oauthbearer.config is quoted from the bad piece on): scrub before logging.
            let text = context.scrubber.scrub(message.map { String(cString: $0) } ?? "")
            context.logger.log(
                level: swiftLevel,
                "librdkafka",
                metadata: ["kafka.facility": "\(fac)", "kafka.message": "\(text)"]
            )
        }
        rd_kafka_conf_set_error_cb(conf) { rk, err, reason, opaque in
            guard let context = RDKafkaClientContext.from(opaque) else { return }
            let text = context.scrubber.scrub(reason.map { String(cString: $0) } ?? "")
            if err == RD_KAFKA_RESP_ERR__FATAL.rawValue, let rk {
                var buffer = [CChar](repeating: 0, count: 512)
                let original = rd_kafka_fatal_error(rk, &buffer, buffer.count)
                let detail = context.scrubber.scrub(buffer.withUnsafeBufferPointer { String(cString: $0.baseAddress!) })
                var error = KafkaError.from(original, "Fatal error: \(detail)")
                error.isFatal = true
                context.recordFatal(error)
            } else {
                // Most client-level errors are transient (brokers down, connection refused):
                // librdkafka retries them itself. Kept so a timed-out request can say why.
                context.recordClientError(
                    KafkaError(code: KafkaError.Code(rawValue: err), reason: text, isRetriable: true))
                context.logger.warning(
                    "librdkafka client error",
                    metadata: ["kafka.code": "\(KafkaError.Code(rawValue: err).name)", "kafka.reason": "\(text)"]
                )
            }
        }
        rd_kafka_conf_set_stats_cb(conf) { _, json, length, opaque in
            guard let json, let context = RDKafkaClientContext.from(opaque), let sink = context.statistics else {
                return 0
            }
            let bytes = UnsafeRawBufferPointer(start: json, count: length)
            if let statistics = KafkaStatistics(json: Array(bytes)) {
                sink.yield(statistics)
            }
            return 0  // librdkafka frees the JSON.
        }
        guard consumer else {
            rd_kafka_conf_set_dr_msg_cb(conf, RDKafkaProduce.deliveryReport)
            return
        }
        rd_kafka_conf_set_rebalance_cb(conf) { rk, err, partitions, opaque in
            guard let rk, let context = RDKafkaClientContext.from(opaque), let handler = context.rebalance else {
                return
            }
            handler.handle(rk: rk, err: err, partitions: partitions)
        }
        rd_kafka_conf_set_offset_commit_cb(conf) { _, err, offsets, opaque in
            guard let context = RDKafkaClientContext.from(opaque) else { return }
            if err != RD_KAFKA_RESP_ERR_NO_ERROR && err != RD_KAFKA_RESP_ERR__NO_OFFSET {
                let count = offsets.map { Int($0.pointee.cnt) } ?? 0
                // Also called for synchronous commits, whose callers get the error: log quietly.
                context.logger.info(
                    "Offset commit failed",
                    metadata: ["kafka.code": "\(KafkaError.Code(err).name)", "kafka.partitions": "\(count)"]
                )
            }
        }
    }

    /// Maps a syslog level (0 emergency ... 7 debug) to a swift-log level.
    static func logLevel(syslog level: Int32) -> Logger.Level {
        switch level {
        case ...2: .critical
        case 3: .error
        case 4: .warning
        case 5: .notice
        case 6: .info
        default: .debug
        }
    }
}
