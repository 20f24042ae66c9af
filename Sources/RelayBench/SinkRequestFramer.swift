import ReferralKit

/// Splits the bytes of one connection to the instant sink into HTTP/1.1 requests: a request
/// line, header lines, then a body of exactly `Content-Length` bytes (none without it).
///
/// It is the sink's whole parser, as nginx's is its own: NIO's server pipeline (llhttp, a
/// request head with its header list, a response encoder) took about a fifth of bench row 4's
/// CPU, in the process and on the cores the relay it measures runs on. It accepts only what a
/// well-formed client sends and refuses the rest (``Failure``): no chunked bodies, no folded
/// headers, no conflicting lengths.
struct SinkRequestFramer {
    /// One complete request.
    struct Request: Equatable {
        /// The method, as sent (`POST`).
        var method: String
        /// The request target, as sent (`/api/referral/events`).
        var target: String
        /// Whether the connection stays open after the answer.
        var keepAlive: Bool
        /// The body.
        var body: [UInt8]
    }

    /// Why the bytes are not a request this sink takes (it answers 400 and closes).
    enum Failure: Error, Equatable {
        /// Not HTTP/1.x as the framer reads it; says what.
        case malformed(String)
        /// A head or a body larger than the sink takes.
        case tooLarge
    }

    /// The longest request head (request line and headers) taken.
    static let maxHeadBytes = 16 * 1024
    /// The longest body taken.
    static let maxBodyBytes = 1 << 20

    private var bytes: [UInt8] = []
    /// Where the unread bytes start.
    private var start = 0
    /// The head of the request whose body is still arriving, and that body's length.
    private var pending: (request: Request, length: Int)?
    /// How far the search for the end of the head has looked (a head arriving in small reads
    /// is not searched from its start again each time).
    private var scanned = 0

    /// An empty framer for a new connection.
    init() {}

    /// Takes the bytes just read.
    mutating func append(_ chunk: some Sequence<UInt8>) {
        if self.start > 0, self.start == self.bytes.count {
            // Everything read was taken: start over instead of growing.
            self.bytes.removeAll(keepingCapacity: true)
            self.start = 0
            self.scanned = 0
        }
        self.bytes.append(contentsOf: chunk)
    }

    /// The next complete request, or `nil` until more bytes arrive.
    ///
    /// - Throws: ``Failure`` for bytes that are not a request; the connection is then unusable.
    mutating func next() throws(Failure) -> Request? {
        if self.pending == nil {
            guard let end = self.headEnd() else {
                if self.bytes.count - self.start > Self.maxHeadBytes { throw .tooLarge }
                return nil
            }
            guard end - self.start <= Self.maxHeadBytes else { throw .tooLarge }
            // The head with its last line's CRLF, without the blank line.
            self.pending = try Self.parseHead(self.bytes[self.start..<(end + 2)])
            self.start = end + 4
            self.scanned = self.start
        }
        guard let pending = self.pending, self.bytes.count - self.start >= pending.length else { return nil }
        var request = pending.request
        request.body = Array(self.bytes[self.start..<(self.start + pending.length)])
        self.start += pending.length
        self.pending = nil
        if self.start > 64 * 1024 {
            // Keep the buffer from growing with a long pipelined stream.
            self.bytes.removeSubrange(0..<self.start)
            self.start = 0
            self.scanned = 0
        }
        return request
    }

    /// Where the first `\r\n\r\n` after `start` begins.
    private mutating func headEnd() -> Int? {
        var index = max(self.start, self.scanned)
        let last = self.bytes.count - 4
        while index <= last {
            if self.bytes[index] == 13, self.bytes[index + 1] == 10, self.bytes[index + 2] == 13,
                self.bytes[index + 3] == 10
            {
                return index
            }
            index += 1
        }
        // The last three bytes may start the end of the head.
        self.scanned = max(self.start, self.bytes.count - 3)
        return nil
    }

    /// The request line and headers, each line ending in CRLF (the blank line left out): the
    /// request, and its body length.
    private static func parseHead(_ head: ArraySlice<UInt8>) throws(Failure) -> (request: Request, length: Int) {
        var lines = head.split(separator: 10, omittingEmptySubsequences: false).makeIterator()
        guard let requestLine = lines.next().flatMap(Self.withoutCR) else { throw .malformed("no request line") }
        let parts = requestLine.split(separator: 32, omittingEmptySubsequences: false)
        guard parts.count == 3, !parts[0].isEmpty, parts[0].allSatisfy(HTTPFieldSyntax.isTokenByte), !parts[1].isEmpty
        else {
            throw .malformed("request line is not METHOD SP TARGET SP VERSION")
        }
        let version = String(decoding: parts[2], as: UTF8.self)
        guard version == "HTTP/1.1" || version == "HTTP/1.0" else { throw .malformed("version \(version)") }
        // HTTP/1.0 always closes here: the sink's answers do not say `Connection: keep-alive`.
        let http11 = version == "HTTP/1.1"
        var close = false
        var length: Int?
        while let raw = lines.next() {
            // After the last line's LF.
            if raw.isEmpty { break }
            guard let line = Self.withoutCR(raw) else { throw .malformed("a header line ends without CR") }
            guard let first = line.first, first != 32, first != 9 else {
                throw .malformed("folded or empty header line")
            }
            guard let colon = line.firstIndex(of: 58) else { throw .malformed("header line without a colon") }
            let name = line[line.startIndex..<colon]
            guard !name.isEmpty, name.allSatisfy(HTTPFieldSyntax.isTokenByte) else { throw .malformed("header name") }
            let value = Self.trimmed(line[(colon + 1)...])
            guard value.allSatisfy(HTTPFieldSyntax.isValueByte) else {
                throw .malformed("control character in a header value")
            }
            switch String(decoding: name, as: UTF8.self).lowercased() {
            case "content-length":
                guard !value.isEmpty, value.count <= 9, value.allSatisfy({ (48...57).contains($0) }) else {
                    throw .malformed("Content-Length is not a number")
                }
                let parsed = value.reduce(0) { $0 * 10 + Int($1 - 48) }
                if let length, length != parsed { throw .malformed("two different Content-Length values") }
                guard parsed <= Self.maxBodyBytes else { throw .tooLarge }
                length = parsed
            case "transfer-encoding":
                throw .malformed("Transfer-Encoding is not taken (send Content-Length)")
            case "connection":
                let tokens = value.split(separator: UInt8(ascii: ",")).map {
                    String(decoding: Self.trimmed($0), as: UTF8.self).lowercased()
                }
                // `close` on any `Connection` line wins over anything else said.
                if tokens.contains("close") { close = true }
            default:
                break
            }
        }
        let request = Request(
            method: String(decoding: parts[0], as: UTF8.self), target: String(decoding: parts[1], as: UTF8.self),
            keepAlive: http11 && !close, body: [])
        return (request, length ?? 0)
    }

    /// `line` without its final CR; `nil` when it has none.
    private static func withoutCR(_ line: ArraySlice<UInt8>) -> ArraySlice<UInt8>? {
        guard line.last == 13 else { return nil }
        return line.dropLast()
    }

    /// `value` without the spaces and tabs around it.
    private static func trimmed(_ value: ArraySlice<UInt8>) -> ArraySlice<UInt8> {
        var value = value
        while let first = value.first, first == 32 || first == 9 { value = value.dropFirst() }
        while let last = value.last, last == 32 || last == 9 { value = value.dropLast() }
        return value
    }
}
