import Testing

@testable import RelayBench

/// The instant sink's request framing, with plain bytes: what the relay's client sends is
/// taken whole, however the reads split it; what is not a request is refused.
@Suite struct SinkRequestFramerTests {
    private static func request(body: String, extra: String = "") -> [UInt8] {
        Array(
            ("POST /api/referral/events HTTP/1.1\r\nHost: 127.0.0.1:8089\r\nContent-Type: application/json\r\n"
                + "Content-Length: \(body.utf8.count)\r\n\(extra)\r\n\(body)").utf8)
    }

    private static func all(_ framer: inout SinkRequestFramer) throws -> [SinkRequestFramer.Request] {
        var requests: [SinkRequestFramer.Request] = []
        while let request = try framer.next() { requests.append(request) }
        return requests
    }

    @Test func aRequestIsTakenWithItsBody() throws {
        var framer = SinkRequestFramer()
        framer.append(Self.request(body: #"{"event":"registered"}"#))
        let requests = try Self.all(&framer)
        #expect(
            requests == [
                .init(
                    method: "POST", target: "/api/referral/events", keepAlive: true,
                    body: Array(#"{"event":"registered"}"#.utf8))
            ])
    }

    @Test func aRequestSplitAtEveryByteIsTheSameRequest() throws {
        let bytes = Self.request(body: #"{"event":"qualified","token":"t"}"#)
        var whole = SinkRequestFramer()
        whole.append(bytes)
        let expected = try Self.all(&whole)
        var framer = SinkRequestFramer()
        var requests: [SinkRequestFramer.Request] = []
        for byte in bytes {
            framer.append([byte])
            requests += try Self.all(&framer)
        }
        #expect(requests == expected)
        #expect(requests.count == 1)
    }

    @Test func pipelinedRequestsComeOutInOrder() throws {
        var framer = SinkRequestFramer()
        framer.append(Self.request(body: "1") + Self.request(body: "22") + Self.request(body: "333").prefix(60))
        #expect(try Self.all(&framer).map(\.body) == [Array("1".utf8), Array("22".utf8)])
        framer.append(Self.request(body: "333").dropFirst(60))
        #expect(try Self.all(&framer).map(\.body) == [Array("333".utf8)])
    }

    @Test func connectionCloseAndHTTP10EndTheConnection() throws {
        var framer = SinkRequestFramer()
        framer.append(Self.request(body: "{}", extra: "Connection: keep-alive, Close\r\n"))
        framer.append(Self.request(body: "{}", extra: "Connection: close\r\nConnection: keep-alive\r\n"))
        framer.append(Array("GET /x HTTP/1.0\r\n\r\n".utf8))
        framer.append(Array("GET /y HTTP/1.0\r\nConnection: keep-alive\r\n\r\n".utf8))
        framer.append(Self.request(body: "{}", extra: "Connection: keep-alive\r\n"))
        #expect(try Self.all(&framer).map(\.keepAlive) == [false, false, false, false, true])
    }

    @Test func aLongPipelinedStreamIsTakenWholeAcrossCompaction() throws {
        // More than the 64 KiB after which the framer drops what it has taken, ending in a
        // request cut in two.
        let one = Self.request(body: String(repeating: "x", count: 1_000))
        var framer = SinkRequestFramer()
        var stream: [UInt8] = []
        for _ in 0..<100 { stream += one }
        framer.append(stream + one.prefix(500))
        var requests = try Self.all(&framer)
        framer.append(one.dropFirst(500))
        requests += try Self.all(&framer)
        #expect(requests.count == 101)
        #expect(requests.allSatisfy { $0.body.count == 1_000 })
    }

    @Test func aRequestWithoutContentLengthHasNoBody() throws {
        var framer = SinkRequestFramer()
        framer.append(Array("GET /healthz HTTP/1.1\r\nHost: h\r\n\r\nGET /again HTTP/1.1\r\n\r\n".utf8))
        let requests = try Self.all(&framer)
        #expect(requests.map(\.target) == ["/healthz", "/again"])
        #expect(requests.allSatisfy { $0.body.isEmpty })
    }

    @Test(arguments: [
        "POST /e HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n",
        "POST /e HTTP/1.1\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\nabc",
        "POST /e HTTP/1.1\r\nContent-Length: -1\r\n\r\n",
        "POST /e HTTP/1.1\r\nX-A: 1\r\n folded\r\n\r\n",
        "POST /e HTTP/1.1\r\nNo colon here\r\n\r\n",
        "POST /e HTTP/1.1\nHost: h\r\n\r\n",
        "POST /e HTTP/2.0\r\n\r\n",
        "POST  /e HTTP/1.1\r\n\r\n",
        "POST /e HTTP/1.1\r\nBad Name: x\r\n\r\n",
        "POST /e HTTP/1.1\r\nX-A: a\u{1}b\r\n\r\n",
    ])
    func whatIsNotARequestIsRefused(_ text: String) {
        var framer = SinkRequestFramer()
        framer.append(Array(text.utf8))
        #expect(throws: SinkRequestFramer.Failure.self) { _ = try Self.all(&framer) }
    }

    @Test func anEndlessHeadAndAnOversizedBodyAreRefused() {
        var head = SinkRequestFramer()
        head.append(Array("POST /e HTTP/1.1\r\nX-Long: ".utf8) + [UInt8](repeating: 97, count: 20_000))
        #expect(throws: SinkRequestFramer.Failure.tooLarge) { _ = try head.next() }
        var body = SinkRequestFramer()
        body.append(Array("POST /e HTTP/1.1\r\nContent-Length: 2000000\r\n\r\n".utf8))
        #expect(throws: SinkRequestFramer.Failure.tooLarge) { _ = try body.next() }
    }
}
