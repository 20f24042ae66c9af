import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// Where an endpoint URL's requests go, parsed once: the host and port to connect to, whether
/// to speak TLS (and the name to verify and send as SNI), and the request target and `Host`
/// header each request carries.
struct ReferralEndpointAddress: Sendable, Hashable {
    /// The host to connect to, without IPv6 brackets.
    let host: String
    /// The TCP port (the scheme's default when the URL names none).
    let port: Int
    /// `true` for `https`.
    let usesTLS: Bool
    /// The path and query sent on the request line (`/` when the URL has no path).
    let requestTarget: String
    /// The `Host` header: the host (bracketed when IPv6), with the port unless it is the default.
    let hostHeader: String

    /// The name sent as SNI and verified against the server's certificate; `nil` for an IP
    /// address, which SNI cannot carry (as async-http-client does).
    var serverHostname: String? { Self.isIPAddress(self.host) ? nil : self.host }

    /// Parses an `http(s)` URL with a host; `nil` for anything else.
    ///
    /// - Parameter endpoint: The URL as configured.
    init?(_ endpoint: String) {
        guard let components = URLComponents(string: endpoint),
            let scheme = components.scheme?.lowercased(), scheme == "http" || scheme == "https",
            var host = components.host, !host.isEmpty
        else { return nil }
        if host.hasPrefix("["), host.hasSuffix("]") {
            host = String(host.dropFirst().dropLast())
        }
        let defaultPort = scheme == "https" ? 443 : 80
        let port = components.port ?? defaultPort
        guard (1...65_535).contains(port) else { return nil }
        self.host = host
        self.port = port
        self.usesTLS = scheme == "https"
        let path = components.percentEncodedPath.isEmpty ? "/" : components.percentEncodedPath
        self.requestTarget = components.percentEncodedQuery.map { "\(path)?\($0)" } ?? path
        let hostText = host.contains(":") ? "[\(host)]" : host
        self.hostHeader = port == defaultPort ? hostText : "\(hostText):\(port)"
    }

    /// Parses `endpoint`, or refuses it with the error both transports give.
    ///
    /// - Throws: ``ReferralError`` `invalidEndpoint` when it is not an http(s) URL with a host.
    static func parsing(_ endpoint: String) throws(ReferralError) -> ReferralEndpointAddress {
        guard let address = ReferralEndpointAddress(endpoint) else {
            throw ReferralError(
                .invalidEndpoint, reason: "endpoint is not an http(s) URL: \(ReferralEndpoint.redacted(endpoint))")
        }
        return address
    }

    /// `true` when `text` is an IPv4 or IPv6 address literal.
    static func isIPAddress(_ text: String) -> Bool {
        var v4 = in_addr()
        var v6 = in6_addr()
        return text.withCString { inet_pton(AF_INET, $0, &v4) == 1 || inet_pton(AF_INET6, $0, &v6) == 1 }
    }
}
