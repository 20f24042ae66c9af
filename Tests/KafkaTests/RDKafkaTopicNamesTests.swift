import Testing

@testable import Kafka

/// Topic names are kept once built; a kept name must never stand for another one.
@Suite struct RDKafkaTopicNamesTests {
    private func name(_ text: String) -> String {
        text.withCString { RDKafkaTopicNames.name($0) }
    }

    @Test func aNameComesBackAsItWasWhetherKeptOrNot() {
        for text in [
            "topic-names-test-account-created", "topic-names-test-account", "topic-names-test-account-created-2",
        ] {
            #expect(self.name(text) == text)
            #expect(self.name(text) == text, "the kept copy")
        }
        #expect(self.name("") == "")
        #expect(self.name("topic-names-test-ünïcödé") == "topic-names-test-ünïcödé")
    }

    @Test func namesPastTheLimitAreStillRight() {
        let texts = (0..<(RDKafkaTopicNames.limit + 10)).map { "topic-names-test-many-\($0)" }
        for text in texts { #expect(self.name(text) == text) }
        for text in texts.reversed() { #expect(self.name(text) == text) }
    }
}
