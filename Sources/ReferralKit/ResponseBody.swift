import Foundation

/// The fields of a response body the classifier looks at; anything unparseable is all-`nil`.
struct ResponseBody: Decodable, Equatable {
    var ok: Bool?
    var referralID: String?
    var state: String?
    var duplicate: Bool?
    var ignored: String?
    var test: Bool?
    var error: String?
    /// Whether the body was a JSON object at all.
    var isObject = false

    private enum CodingKeys: String, CodingKey {
        case ok, state, duplicate, ignored, test, error
        case referralID = "referral_id"
    }

    init(_ body: some Collection<UInt8>) {
        self = Self.flat(Array(body)) ?? Self.decoded(body)
    }

    /// Through `JSONDecoder`: any body.
    static func decoded(_ body: some Collection<UInt8>) -> Self {
        (try? JSONDecoder().decode(Self.self, from: Data(body))) ?? Self()
    }

    /// Read directly when the body is a flat object of strings without escapes and literals,
    /// every name once (MMOLove's every answer); `nil` for anything else, which `JSONDecoder`
    /// reads. Decoding every answer through `JSONDecoder` was 2.4% of the relay's CPU time.
    static func flat(_ body: [UInt8]) -> Self? {
        guard let members = FlatJSONObject.members(body) else { return nil }
        var fields = Self()
        fields.isObject = true
        for (name, value) in members {
            switch (name, value) {
            case ("ok", .bool(let flag)): fields.ok = flag
            case ("duplicate", .bool(let flag)): fields.duplicate = flag
            case ("test", .bool(let flag)): fields.test = flag
            case ("referral_id", .string(let text)): fields.referralID = text
            case ("state", .string(let text)): fields.state = text
            case ("ignored", .string(let text)): fields.ignored = text
            case ("error", .string(let text)): fields.error = text
            default: break
            }
        }
        return fields
    }

    private init() {}

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        // Field-by-field `try?` so one oddly typed field does not hide the others.
        self.ok = try? container.decodeIfPresent(Bool.self, forKey: .ok)
        self.referralID = try? container.decodeIfPresent(String.self, forKey: .referralID)
        self.state = try? container.decodeIfPresent(String.self, forKey: .state)
        self.duplicate = try? container.decodeIfPresent(Bool.self, forKey: .duplicate)
        self.ignored = try? container.decodeIfPresent(String.self, forKey: .ignored)
        self.test = try? container.decodeIfPresent(Bool.self, forKey: .test)
        self.error = try? container.decodeIfPresent(String.self, forKey: .error)
        self.isObject = true
    }
}
