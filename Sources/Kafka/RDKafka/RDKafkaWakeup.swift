import CRDKafka
import Glibc

/// The consumer poll thread's doorbell: an `eventfd` that librdkafka rings when one of the
/// consumer's queues goes from empty to non-empty (`rd_kafka_queue_io_event_enable`), and that
/// the consumer rings itself when the reader made room, a partition hold was lifted, a job was
/// queued or a stop was requested. The poll thread sleeps on it instead of inside a blocking
/// `rd_kafka_consumer_poll`, because records now arrive on per-partition queues that one
/// blocking poll cannot wait on together.
///
/// `Sendable`: the descriptor is immutable; `eventfd` reads and writes are thread-safe.
final class RDKafkaWakeup: Sendable {
    /// The descriptor handed to librdkafka.
    let fd: Int32
    /// What librdkafka writes on a wake-up: an 8-byte count of 1, as `eventfd` requires.
    static let payload: UInt64 = 1

    /// Creates the descriptor (non-blocking, so no writer can ever block on it).
    init() {
        self.fd = crdkafka_eventfd()
        precondition(self.fd >= 0, "eventfd failed: errno \(errno)")
    }

    deinit {
        close(self.fd)
    }

    /// Rings the bell; a sleeping poll thread wakes at once, an awake one skips its next sleep.
    func signal() {
        var one = Self.payload
        _ = withUnsafeBytes(of: &one) { write(self.fd, $0.baseAddress, 8) }
    }

    /// Sleeps until the bell rings or `milliseconds` pass, then clears it.
    ///
    /// - Important: Poll thread only: it blocks.
    func wait(milliseconds: Int32) {
        var descriptor = pollfd(fd: self.fd, events: Int16(POLLIN), revents: 0)
        _ = poll(&descriptor, 1, milliseconds)
        var count: UInt64 = 0
        _ = withUnsafeMutableBytes(of: &count) { read(self.fd, $0.baseAddress, 8) }
    }
}
