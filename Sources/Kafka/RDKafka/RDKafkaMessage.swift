import CRDKafka

/// Reading a consumed record out of librdkafka (the caller destroys the message afterwards).

extension KafkaConsumerMessage {
    /// Copies everything out of a librdkafka message (which the caller then destroys).
    init(_ message: UnsafePointer<rd_kafka_message_t>) {
        let m = message.pointee
        topic = RDKafkaTopicNames.name(of: m.rkt)
        partition = m.partition
        offset = m.offset
        key = m.key.map { Array(UnsafeRawBufferPointer(start: $0, count: m.key_len)) }
        value = m.payload.map { Array(UnsafeRawBufferPointer(start: $0, count: m.len)) } ?? []
        var type = RD_KAFKA_TIMESTAMP_NOT_AVAILABLE
        let ms = rd_kafka_message_timestamp(message, &type)
        switch type {
        case RD_KAFKA_TIMESTAMP_CREATE_TIME: timestamp = KafkaTimestamp(milliseconds: ms, kind: .createTime)
        case RD_KAFKA_TIMESTAMP_LOG_APPEND_TIME: timestamp = KafkaTimestamp(milliseconds: ms, kind: .logAppendTime)
        default: timestamp = nil
        }
        headers = []
        var hdrs: OpaquePointer?
        if rd_kafka_message_headers(message, &hdrs) == RD_KAFKA_RESP_ERR_NO_ERROR, let hdrs {
            var index = 0
            var name: UnsafePointer<CChar>?
            var pointer: UnsafeRawPointer?
            var size = 0
            while rd_kafka_header_get_all(hdrs, index, &name, &pointer, &size) == RD_KAFKA_RESP_ERR_NO_ERROR {
                let headerValue = pointer.map { Array(UnsafeRawBufferPointer(start: $0, count: size)) }
                headers.append(KafkaHeader(key: name.map { String(cString: $0) } ?? "", value: headerValue))
                index += 1
            }
        }
    }
}
