import Foundation

/// A loopback port that nothing listens on, for "unreachable broker" and "refused connect" tests.
public enum ClosedPort {
    /// Binds a TCP socket to `127.0.0.1:0`, reads the port the kernel chose, and closes it: a
    /// connection to it is refused at once (until something else happens to bind it, which the
    /// kernel's port rotation makes unlikely within a test; ``held()`` rules it out).
    public static func loopback() throws -> Int {
        let port = try Self.held()
        port.close()
        return port.number
    }

    /// A port on `127.0.0.1` bound and never listened on, held until ``HeldPort/close()``: a
    /// connect to it is refused, and no other test's server can bind it meanwhile.
    public static func held() throws -> HeldPort {
        let socket = Foundation.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard socket >= 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { raw in
                bind(socket, raw, length) == 0 && getsockname(socket, raw, &length) == 0
            }
        }
        guard bound else {
            let code = POSIXErrorCode(rawValue: errno) ?? .EIO
            Foundation.close(socket)
            throw POSIXError(code)
        }
        return HeldPort(number: Int(UInt16(bigEndian: address.sin_port)), socket: socket)
    }
}

/// A bound, never listening loopback port (see ``ClosedPort/held()``).
public struct HeldPort: Sendable {
    /// The port.
    public let number: Int
    fileprivate let socket: Int32

    /// Releases the port.
    public func close() {
        Foundation.close(self.socket)
    }
}
