import Foundation
import Logging
import Relay
import Testing

/// JSON lines as a log collector reads them.
@Suite struct JSONLogHandlerTests {
    @Test func everyLineIsOneObjectWithTheFixedFieldsAndTheMetadata() throws {
        let lines = LogLines()
        var logger = Logger(label: "relay.test") { JSONLogHandler(label: $0, logLevel: .info, sink: lines.sink) }
        logger[metadataKey: "relay.topic"] = "account-created"
        logger[metadataKey: "relay.partition"] = "1"

        logger.debug("below the level")
        logger.info(
            "delivered",
            metadata: [
                "relay.partition": "2",
                "relay.offset": .stringConvertible(41),
                "source": ["topic": "account-created", "partition": "2"],
                "attempts": ["1", ["status": "503"]],
            ])

        let objects = try lines.objects()
        #expect(objects.count == 1)
        let object = try #require(objects.first)
        #expect(object["level"] as? String == "info")
        #expect(object["logger"] as? String == "relay.test")
        #expect(object["msg"] as? String == "delivered")
        #expect(object["relay.topic"] as? String == "account-created")
        #expect(object["relay.partition"] as? String == "2")  // the call's value wins
        #expect(object["relay.offset"] as? String == "41")
        #expect(object["source"] as? [String: String] == ["topic": "account-created", "partition": "2"])
        let attempts = try #require(object["attempts"] as? [Any])
        #expect(attempts.first as? String == "1")
        #expect(attempts.last as? [String: String] == ["status": "503"])

        let timestamp = try #require(object["ts"] as? String)
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        let date = try #require(formatter.date(from: timestamp), "not RFC 3339: \(timestamp)")
        #expect(timestamp.hasSuffix("Z"))
        #expect(timestamp.count == "2026-01-01T00:00:00.000Z".count)
        #expect(abs(date.timeIntervalSinceNow) < 60)
    }

    @Test func trickyStringsSurviveTheRoundTrip() throws {
        let tricky = [
            #"quote " backslash \ slash /"#,
            "newline \n return \r tab \t nul \u{0} unit separator \u{1F} delete \u{7F}",
            "unicode: é e\u{301} 日本 🦊 \u{2028} \u{2029} \u{FEFF}",
            "}{\"msg\":\"forged\"}",
        ]
        let lines = LogLines()
        let logger = Logger(label: "tricky \"label\"") { JSONLogHandler(label: $0, sink: lines.sink) }
        for text in tricky {
            logger.info("\(text)", metadata: ["value": "\(text)", "nested": ["k \" \n": "\(text)"], "ts": "forged"])
        }

        #expect(lines.lines.count == tricky.count)
        for (object, text) in zip(try lines.objects(), tricky) {
            #expect(object["msg"] as? String == text)
            #expect(object["value"] as? String == text)
            #expect(object["nested"] as? [String: String] == ["k \" \n": text])
            #expect(object["logger"] as? String == "tricky \"label\"")
            // A metadata key that collides with a fixed field cannot overwrite it.
            #expect(object["meta.ts"] as? String == "forged")
            #expect(object["ts"] as? String != "forged")
        }
    }

    @Test func concurrentLoggersWriteWholeLinesOnly() async throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("relay-log-\(UUID().uuidString)").path
        let descriptor = open(path, O_CREAT | O_WRONLY | O_APPEND, 0o600)
        try #require(descriptor >= 0)
        defer { unlink(path) }
        let sink = LogSink.fileDescriptor(descriptor)
        let tasks = 16
        let perTask = 200
        await withTaskGroup(of: Void.self) { group in
            for task in 0..<tasks {
                group.addTask {
                    let logger = Logger(label: "task-\(task)") { JSONLogHandler(label: $0, sink: sink) }
                    for index in 0..<perTask {
                        let padding = String(repeating: "x", count: (index * 37) % 3000)
                        logger.info(
                            "line", metadata: ["task": "\(task)", "index": "\(index)", "padding": "\(padding)"])
                    }
                }
            }
        }
        close(descriptor)

        let text = try String(contentsOfFile: path, encoding: .utf8)
        let lines = text.split(separator: "\n")
        #expect(text.hasSuffix("\n"))
        #expect(lines.count == tasks * perTask)
        var seen = Set<String>()
        for line in lines {
            let object = try #require(JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            let key = "\(object["task"] as? String ?? "?")/\(object["index"] as? String ?? "?")"
            seen.insert(key)
        }
        #expect(seen.count == tasks * perTask)
    }

    @Test func errorsAreWrittenAsMessageAndType() throws {
        struct Refused: Error, CustomStringConvertible {
            var description: String { "connection refused" }
        }
        let lines = LogLines()
        let logger = Logger(label: "relay") { JSONLogHandler(label: $0, sink: lines.sink) }
        logger.warning("attempt failed", error: Refused())
        let object = try #require(try lines.objects().first)
        #expect(object["error.message"] as? String == "connection refused")
        #expect((object["error.type"] as? String)?.hasSuffix("Refused") == true)
    }
}
