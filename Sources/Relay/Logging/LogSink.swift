import Synchronization

#if canImport(Glibc)
    import Glibc

    private let systemWrite = Glibc.write
#elseif canImport(Darwin)
    import Darwin

    private let systemWrite = Darwin.write
#endif

/// Where finished log lines go: one call per line with the line's bytes (newline included).
///
/// - Important: A sink must write each line whole and must be safe to call from any thread; the
///   handlers format a complete line first and hand it over in one call.
public struct LogSink: Sendable {
    private let writeLine: @Sendable ([UInt8]) -> Void

    /// Creates a sink from a closure that receives each complete line.
    ///
    /// - Parameter writeLine: Called once per line, from any thread.
    public init(_ writeLine: @escaping @Sendable ([UInt8]) -> Void) {
        self.writeLine = writeLine
    }

    /// Writes one complete line.
    public func write(_ line: [UInt8]) {
        self.writeLine(line)
    }

    /// The process's standard error: unbuffered, one `write(2)` per line in the common case.
    public static let standardError = LogSink.fileDescriptor(2)

    /// An open file descriptor the caller keeps open while the sink is in use.
    public static func fileDescriptor(_ descriptor: Int32) -> LogSink {
        let writer = DescriptorWriter(descriptor: descriptor)
        return LogSink { line in writer.write(line) }
    }
}

/// Serialises writes to one file descriptor so a line cut short by a partial `write(2)` is
/// finished before another thread's line starts.
private final class DescriptorWriter: Sendable {
    private let descriptor: Int32
    private let lock = Mutex(())

    init(descriptor: Int32) {
        self.descriptor = descriptor
    }

    func write(_ line: [UInt8]) {
        self.lock.withLock { _ in
            line.withUnsafeBytes { buffer in
                var offset = 0
                while offset < buffer.count {
                    let written = systemWrite(self.descriptor, buffer.baseAddress! + offset, buffer.count - offset)
                    if written > 0 {
                        offset += written
                    } else if written < 0 && errno == EINTR {
                        continue
                    } else {
                        // The descriptor is gone (e.g. a closed pipe): dropping the line is all a logger can do.
                        return
                    }
                }
            }
        }
    }
}
