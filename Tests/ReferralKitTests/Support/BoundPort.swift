import Glibc

/// A TCP port on 127.0.0.1 bound and never listened on: connects to it are refused, and no
/// other test's server can bind it meanwhile (a port freed by a stopped server could be).
struct BoundPort {
    /// The port.
    let number: Int
    private let descriptor: Int32

    /// Binds a free port.
    init() throws {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { throw BoundPortError() }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { socketAddress in
                bind(descriptor, socketAddress, length) == 0 && getsockname(descriptor, socketAddress, &length) == 0
            }
        }
        guard bound else {
            _ = Glibc.close(descriptor)
            throw BoundPortError()
        }
        self.descriptor = descriptor
        self.number = Int(UInt16(bigEndian: address.sin_port))
    }

    /// Releases the port.
    func close() {
        _ = Glibc.close(self.descriptor)
    }
}

/// A port could not be bound.
struct BoundPortError: Error {}
