/// The records and rebalance events of a ``KafkaConsumer``, in order. Single reader.
///
/// The sequence ends (returns `nil`) after ``KafkaConsumer/close()``; it throws the consumer's
/// fatal ``KafkaError`` if librdkafka raised one.
public struct KafkaConsumerEvents: AsyncSequence, Sendable {
    public typealias Element = KafkaConsumerEvent
    let buffer: KafkaConsumerEventBuffer

    /// Iterates the events.
    public struct AsyncIterator: AsyncIteratorProtocol {
        let buffer: KafkaConsumerEventBuffer

        public mutating func next() async throws -> KafkaConsumerEvent? {
            try await buffer.next()
        }
    }

    public func makeAsyncIterator() -> AsyncIterator { AsyncIterator(buffer: buffer) }
}
