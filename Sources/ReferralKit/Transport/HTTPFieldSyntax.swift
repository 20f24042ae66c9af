/// RFC 9110's rules for the bytes of a header field, for the pool's outbound check and the
/// benchmark's sink (`package`: not part of the SDK's API).
package enum HTTPFieldSyntax {
    /// Whether `byte` is a `tchar`, the bytes a header name (and a method) is made of.
    package static func isTokenByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"):
            return true
        default:
            return "!#$%&'*+-.^_`|~".utf8.contains(byte)
        }
    }

    /// Whether `byte` may stand in a header value: anything but a control character other than
    /// a tab (CR and LF would end the field, and the request with it).
    package static func isValueByte(_ byte: UInt8) -> Bool {
        byte == UInt8(ascii: "\t") || (byte > 0x1F && byte != 0x7F)
    }
}
