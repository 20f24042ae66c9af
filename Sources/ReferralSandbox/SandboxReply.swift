import Foundation

/// The answer the sandbox gives to one request: a status with an exact body, or a dropped
/// connection.
public struct SandboxReply: Sendable, Hashable {
    /// The HTTP status; 0 when the connection is dropped.
    public var status: Int
    /// The exact response body.
    public var body: String
    /// The `Retry-After` value, if any.
    public var retryAfter: String?
    /// Whether the connection is closed without a response.
    public var dropsConnection: Bool
    /// The verdict behind the answer.
    public var verdict: SandboxVerdict
    /// The `Content-Type` of the body.
    public var contentType = "application/json"

    /// Creates a reply.
    public init(
        status: Int, body: String, verdict: SandboxVerdict, retryAfter: String? = nil, dropsConnection: Bool = false
    ) {
        self.status = status
        self.body = body
        self.verdict = verdict
        self.retryAfter = retryAfter
        self.dropsConnection = dropsConnection
    }

    /// An error reply with the contract's `{"error":"…"}` body.
    static func error(_ status: Int, _ message: String, _ verdict: SandboxVerdict) -> Self {
        Self(status: status, body: "{\"error\":\(jsonString(message))}", verdict: verdict)
    }

    /// A JSON string literal; escapes `"`, `\` and control characters.
    static func jsonString(_ value: String) -> String {
        var out = "\""
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20: out += String(format: "\\u%04x", scalar.value)
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }
}
