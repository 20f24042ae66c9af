import Kafka
import NIOCore
import ReferralKit
import Relay

/// The latency floor: the least a relay could do per record on this broker and sink. A raw
/// consumer (`fetch.wait.max.ms=1`), one unsigned POST to the sink per record (through a
/// `ReferralConnectionPool`, the relay's transport), and a
/// publish through the relay's producer settings carrying the input's timestamp.
struct FloorLoop: Sendable {
    /// Input topic.
    static let input = "floor-in"
    /// Output topic; each record's timestamp is its input record's.
    static let output = "floor-out"

    /// The broker.
    let broker: BenchBroker
    /// The sink's events URL.
    let endpoint: String
    /// Connections for the POSTs (the relay's transport).
    let pool: ReferralConnectionPool

    /// Handles `count` records, each in its own task, then returns.
    ///
    /// - Throws: ``BenchError`` when a POST is not answered 200 or the records do not all
    ///   arrive within `timeout`; ``KafkaError`` for a failed publish.
    func run(count: Int, timeout: Duration) async throws {
        let reader = try await TopicReader(
            broker: self.broker, partitions: self.broker.topicPartitions([Self.input]), fetchWaitMilliseconds: 1)
        // The relay's own producer settings (acks=all, not idempotent, linger 1 ms).
        let configuration = InProcessRelay.configuration(
            brokers: self.broker.brokers, groupID: "bench-floor", endpoint: ""
        )
        .producerConfiguration(clientID: "bench-floor")
        let producer = try KafkaProducer(configuration: configuration, logger: self.broker.logger)
        // As the relay does: unprepared, librdkafka holds the first record to a topic ~1 s.
        try await producer.prepare(topics: [Self.output])
        let handled = Counter()
        do {
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    try? await Task.sleep(for: timeout)
                    await reader.consumer.close()
                }
                group.addTask {
                    try await withThrowingTaskGroup(of: Void.self) { work in
                        var seen = 0
                        for try await event in reader.consumer.events {
                            guard case .message(let message) = event else { continue }
                            work.addTask { try await self.handle(message, producer: producer, handled: handled) }
                            seen += 1
                            if seen == count { break }
                        }
                        try await work.waitForAll()
                    }
                }
                _ = try await group.next()
                group.cancelAll()
            }
        } catch {
            await reader.consumer.close()
            await producer.close()
            throw error
        }
        await reader.consumer.close()
        await producer.close()
        guard handled.current == count else { throw BenchError("floor loop handled \(handled.current) of \(count)") }
    }

    private func handle(_ message: KafkaConsumerMessage, producer: KafkaProducer, handled: Counter) async throws {
        let account = String(decoding: message.key ?? [], as: UTF8.self)
        let body = try EncodedReferralEvent(
            ReferralEvent(
                kind: .registered, token: InputRecords.token(account: account), serverID: InputRecords.serverID,
                refereeIdentity: account, serverEventID: "reg-\(account)")
        ).body
        let response = try await self.pool.post(
            headers: ["Content-Type": "application/json"], body: ByteBuffer(bytes: body),
            deadline: .now() + .seconds(10))
        guard response.status == 200 else { throw BenchError("floor POST answered \(response.status)") }
        let value = Array(#"{"server_event_id":"reg-\#(account)","status":"advanced"}"#.utf8)
        _ = try await producer.send(
            KafkaProducerRecord(
                topic: Self.output, key: message.key, value: value, timestamp: message.timestamp?.milliseconds))
        handled.increment()
    }
}
