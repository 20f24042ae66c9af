/// How an endpoint URL is shown: never with its userinfo (`https://user:password@host/…`) or its
/// query string (`?key=…`), both of which may carry credentials.
public enum ReferralEndpoint {
    /// `endpoint` without userinfo, query and fragment: `https://user:pw@host:8443/path?key=k`
    /// becomes `https://host:8443/path`.
    ///
    /// Works on the text, not on a parsed URL, so a URL that does not parse (the very thing a
    /// configuration error reports) is stripped too.
    ///
    /// - Parameter endpoint: The URL as configured.
    /// - Returns: What may be printed.
    public static func redacted(_ endpoint: String) -> String {
        var text = endpoint[...]
        if let cut = text.firstIndex(where: { $0 == "?" || $0 == "#" }) {
            text = text[..<cut]
        }
        let authorityStart = text.range(of: "://")?.upperBound ?? text.startIndex
        let authorityEnd = text[authorityStart...].firstIndex(of: "/") ?? text.endIndex
        if let at = text[authorityStart..<authorityEnd].lastIndex(of: "@") {
            return String(text[..<authorityStart] + text[text.index(after: at)...])
        }
        return String(text)
    }

    /// The parts of `endpoint` that may be credentials, for a log redactor: the userinfo, its
    /// password (as written and percent-decoded), the query and each of its values.
    ///
    /// - Parameter endpoint: The URL as configured.
    /// - Returns: The secret parts; empty when the URL has no userinfo and no query.
    public static func secretParts(of endpoint: String) -> [String] {
        var parts: [String] = []
        var text = endpoint[...]
        if let fragment = text.firstIndex(of: "#") {
            text = text[..<fragment]
        }
        if let question = text.firstIndex(of: "?") {
            let query = text[text.index(after: question)...]
            parts.append(String(query))
            for pair in query.split(separator: "&") {
                if let equals = pair.firstIndex(of: "=") {
                    let value = pair[pair.index(after: equals)...]
                    parts.append(String(value))
                    parts.append(Self.percentDecoded(value))
                }
            }
            text = text[..<question]
        }
        let authorityStart = text.range(of: "://")?.upperBound ?? text.startIndex
        let authorityEnd = text[authorityStart...].firstIndex(of: "/") ?? text.endIndex
        if let at = text[authorityStart..<authorityEnd].lastIndex(of: "@") {
            let userinfo = text[authorityStart..<at]
            parts.append(String(userinfo))
            if let colon = userinfo.firstIndex(of: ":") {
                let password = userinfo[userinfo.index(after: colon)...]
                parts.append(String(password))
                parts.append(Self.percentDecoded(password))
            }
        }
        return parts.filter { !$0.isEmpty }
    }

    /// `text` with `%XX` escapes decoded (and `+` kept as is); invalid escapes are kept.
    private static func percentDecoded(_ text: Substring) -> String {
        var bytes: [UInt8] = []
        var utf8 = Array(text.utf8)[...]
        while let byte = utf8.popFirst() {
            if byte == UInt8(ascii: "%"), utf8.count >= 2,
                let value = UInt8(String(decoding: utf8.prefix(2), as: UTF8.self), radix: 16)
            {
                bytes.append(value)
                utf8 = utf8.dropFirst(2)
            } else {
                bytes.append(byte)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
