import CRDKafka
import Glibc
import Synchronization

/// Topic names as Swift strings, made once per topic instead of once per record.
///
/// Every consumed record and every delivery report names its topic with a C string; a topic
/// name longer than 15 bytes does not fit a small Swift string, so building it per record was a
/// heap allocation on both of the relay's hottest paths. A process has a handful of topics: the
/// names seen are kept (up to ``limit``) and compared byte by byte, which costs no allocation.
enum RDKafkaTopicNames {
    /// The most names kept; past it, further names are built per call (correct, only slower).
    static let limit = 64

    private static let known = Mutex<[String]>([])

    /// The name of `topic`, or `""` without one.
    static func name(of topic: OpaquePointer?) -> String {
        guard let topic, let cName = rd_kafka_topic_name(topic) else { return "" }
        return self.name(cName)
    }

    /// `cName` as a string, shared with earlier calls for the same name.
    static func name(_ cName: UnsafePointer<CChar>) -> String {
        let bytes = UnsafeRawBufferPointer(start: cName, count: strlen(cName))
        return self.known.withLock { known in
            for name in known where name.utf8.elementsEqual(bytes) { return name }
            let name = String(decoding: bytes, as: UTF8.self)
            if known.count < Self.limit { known.append(name) }
            return name
        }
    }
}
