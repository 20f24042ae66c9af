import CRDKafka
import Glibc

/// Scoped access to `rd_kafka_topic_partition_list_t`: lists are built, lent to a closure and
/// destroyed; nothing keeps a pointer afterwards.
enum RDKafkaTopicPartitionList {
    typealias Pointer = UnsafeMutablePointer<rd_kafka_topic_partition_list_t>

    /// One entry read back from a list.
    struct Entry {
        var topicPartition: KafkaTopicPartition
        var offset: Int64
        var error: rd_kafka_resp_err_t
        /// The commit metadata, when the list carries one (`rd_kafka_committed`).
        var metadata: String?
    }

    /// Builds a list of `entries` (offset per entry), lends it to `body`, then destroys it.
    static func with<T>(
        _ entries: [(KafkaTopicPartition, Int64)],
        _ body: (Pointer) throws(KafkaError) -> T
    ) throws(KafkaError) -> T {
        guard let list = rd_kafka_topic_partition_list_new(Int32(clamping: max(entries.count, 1))) else {
            throw KafkaError(code: .invalidArgument, reason: "rd_kafka_topic_partition_list_new failed")
        }
        defer { rd_kafka_topic_partition_list_destroy(list) }
        for (tp, offset) in entries {
            rd_kafka_topic_partition_list_add(list, tp.topic, tp.partition)?.pointee.offset = offset
        }
        return try body(list)
    }

    /// Builds a list of offsets with commit metadata, lends it to `body`, then destroys it.
    /// The metadata buffers are malloc'ed copies, which the list's destroy frees.
    static func with<T>(
        _ entries: [(KafkaTopicPartition, Int64, String?)],
        _ body: (Pointer) throws(KafkaError) -> T
    ) throws(KafkaError) -> T {
        guard let list = rd_kafka_topic_partition_list_new(Int32(clamping: max(entries.count, 1))) else {
            throw KafkaError(code: .invalidArgument, reason: "rd_kafka_topic_partition_list_new failed")
        }
        defer { rd_kafka_topic_partition_list_destroy(list) }
        for (tp, offset, metadata) in entries {
            guard let element = rd_kafka_topic_partition_list_add(list, tp.topic, tp.partition) else { continue }
            element.pointee.offset = offset
            if let metadata, !metadata.isEmpty {
                let bytes = Array(metadata.utf8)
                guard let buffer = malloc(bytes.count) else { continue }
                bytes.withUnsafeBytes { buffer.copyMemory(from: $0.baseAddress!, byteCount: bytes.count) }
                element.pointee.metadata = buffer
                element.pointee.metadata_size = bytes.count
            }
        }
        return try body(list)
    }

    /// Builds a list of topics (partition `RD_KAFKA_PARTITION_UA`) for subscriptions.
    static func with<T>(topics: [String], _ body: (Pointer) throws(KafkaError) -> T) throws(KafkaError) -> T {
        try with(topics.map { (KafkaTopicPartition(topic: $0, partition: -1), 0) }, body)
    }

    /// Reads every entry of a list.
    static func read(_ list: UnsafePointer<rd_kafka_topic_partition_list_t>?) -> [Entry] {
        guard let list, let elems = list.pointee.elems else { return [] }
        return (0..<Int(list.pointee.cnt)).map { index in
            let element = elems[index]
            var metadata: String?
            if let pointer = element.metadata, element.metadata_size > 0 {
                let bytes = UnsafeRawBufferPointer(start: pointer, count: element.metadata_size)
                metadata = String(decoding: bytes, as: UTF8.self)
            }
            return Entry(
                topicPartition: KafkaTopicPartition(
                    topic: String(cString: element.topic), partition: element.partition),
                offset: element.offset,
                error: element.err,
                metadata: metadata
            )
        }
    }
}
