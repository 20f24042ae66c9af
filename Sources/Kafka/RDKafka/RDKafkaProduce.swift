import CRDKafka

/// Enqueues records with the shim's `crdkafka_produce` (over `rd_kafka_produceva`).
enum RDKafkaProduce {
    /// Enqueues `record` with `opaque` as the per-message opaque; never blocks.
    static func produce(_ handle: OpaquePointer, _ record: KafkaProducerRecord, opaque: UnsafeMutableRawPointer)
        -> rd_kafka_resp_err_t
    {
        var headers: OpaquePointer?
        if !record.headers.isEmpty {
            headers = rd_kafka_headers_new(record.headers.count)
            // `withCString`, not a String passed as a C string: the implicit conversion copies a
            // short name (a small string) to the heap, three times per outcome record.
            for header in record.headers {
                header.key.withCString { name in
                    if let value = header.value {
                        value.withUnsafeBytes { bytes in
                            _ = rd_kafka_header_add(headers, name, -1, bytes.baseAddress, bytes.count)
                        }
                    } else {
                        _ = rd_kafka_header_add(headers, name, -1, nil, 0)
                    }
                }
            }
        }
        let err = record.value.withUnsafeBytes { value in
            withKey(record.key) { key, keyLength in
                record.topic.withCString { topic in
                    crdkafka_produce(
                        handle,
                        topic,
                        record.partition ?? -1,
                        key,
                        keyLength,
                        value.baseAddress,
                        value.count,
                        headers,
                        record.timestamp ?? 0,
                        opaque
                    )
                }
            }
        }
        // On success librdkafka owns the headers.
        if err != RD_KAFKA_RESP_ERR_NO_ERROR, let headers { rd_kafka_headers_destroy(headers) }
        return err
    }

    private static func withKey<T>(_ key: [UInt8]?, _ body: (UnsafeRawPointer?, Int) -> T) -> T {
        guard let key else { return body(nil, 0) }
        // An empty key must still be a non-NULL pointer to stay distinct from "no key".
        if key.isEmpty { return withUnsafeBytes(of: UInt8(0)) { body($0.baseAddress, 0) } }
        return key.withUnsafeBytes { body($0.baseAddress, $0.count) }
    }

    /// The delivery-report callback: resumes the `send` waiting on the message's opaque.
    static let deliveryReport:
        @convention(c) (OpaquePointer?, UnsafePointer<rd_kafka_message_t>?, UnsafeMutableRawPointer?) -> Void = {
            rk, message, _ in
            guard let message, let opaque = message.pointee._private else { return }
            let box = Unmanaged<RDKafkaDeliveryBox>.fromOpaque(opaque).takeRetainedValue()
            let m = message.pointee
            let topic = RDKafkaTopicNames.name(of: m.rkt)
            if m.err == RD_KAFKA_RESP_ERR_NO_ERROR {
                box.continuation.resume(
                    returning: .delivered(KafkaDeliveryReport(topic: topic, partition: m.partition, offset: m.offset)))
            } else {
                var error = KafkaError.from(m.err, "delivery to \(topic)")
                if let rk, rd_kafka_fatal_error(rk, nil, 0) != RD_KAFKA_RESP_ERR_NO_ERROR { error.isFatal = true }
                box.continuation.resume(returning: .failed(error))
            }
        }
}
