import CLinux
import Glibc

/// An IPv4 or IPv6 address with a port, as the kernel wants it.
public struct SocketAddress: Sendable, CustomStringConvertible {
    enum Storage: Sendable {
        case v4(sockaddr_in)
        case v6(sockaddr_in6)
    }

    let storage: Storage

    /// Parses a numeric address ("127.0.0.1", "::1", "0.0.0.0"); "localhost" means 127.0.0.1.
    public init(numericHost host: String, port: Int) throws(NetIOError) {
        let literal = host == "localhost" ? "127.0.0.1" : host
        var v4 = sockaddr_in()
        if inet_pton(AF_INET, literal, &v4.sin_addr) == 1 {
            v4.sin_family = sa_family_t(AF_INET)
            v4.sin_port = in_port_t(UInt16(truncatingIfNeeded: port).bigEndian)
            storage = .v4(v4)
            return
        }
        var v6 = sockaddr_in6()
        let trimmed = literal.hasPrefix("[") && literal.hasSuffix("]") ? String(literal.dropFirst().dropLast()) : literal
        if inet_pton(AF_INET6, trimmed, &v6.sin6_addr) == 1 {
            v6.sin6_family = sa_family_t(AF_INET6)
            v6.sin6_port = in_port_t(UInt16(truncatingIfNeeded: port).bigEndian)
            storage = .v6(v6)
            return
        }
        throw NetIOError.invalidAddress(host)
    }

    /// Resolves a host name with getaddrinfo. This blocks: call it off the event loops.
    public static func resolve(host: String, port: Int) throws(NetIOError) -> SocketAddress {
        if let numeric = try? SocketAddress(numericHost: host, port: port) { return numeric }
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        hints.ai_family = AF_UNSPEC
        var result: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(host, String(port), &hints, &result) == 0, let first = result else {
            throw NetIOError.resolutionFailed(host)
        }
        defer { freeaddrinfo(first) }
        var cursor: UnsafeMutablePointer<addrinfo>? = first
        while let info = cursor {
            if let address = info.pointee.ai_addr {
                if info.pointee.ai_family == AF_INET {
                    let v4 = UnsafeRawPointer(address).load(as: sockaddr_in.self)
                    return SocketAddress(storage: .v4(v4))
                }
                if info.pointee.ai_family == AF_INET6 {
                    let v6 = UnsafeRawPointer(address).load(as: sockaddr_in6.self)
                    return SocketAddress(storage: .v6(v6))
                }
            }
            cursor = info.pointee.ai_next
        }
        throw NetIOError.resolutionFailed(host)
    }

    init(storage: Storage) { self.storage = storage }

    var family: Int32 {
        switch storage {
        case .v4: AF_INET
        case .v6: AF_INET6
        }
    }

    public var port: Int {
        switch storage {
        case .v4(let address): Int(UInt16(bigEndian: address.sin_port))
        case .v6(let address): Int(UInt16(bigEndian: address.sin6_port))
        }
    }

    /// The address without its port ("10.0.0.7", "::1"): who is connecting, for per-peer limits.
    public var host: String {
        var buffer = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
        switch storage {
        case .v4(var address): inet_ntop(AF_INET, &address.sin_addr, &buffer, socklen_t(buffer.count))
        case .v6(var address): inet_ntop(AF_INET6, &address.sin6_addr, &buffer, socklen_t(buffer.count))
        }
        return String(cString: buffer)
    }

    public var description: String {
        var buffer = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
        switch storage {
        case .v4(var address):
            inet_ntop(AF_INET, &address.sin_addr, &buffer, socklen_t(buffer.count))
            return "\(String(cString: buffer)):\(port)"
        case .v6(var address):
            inet_ntop(AF_INET6, &address.sin6_addr, &buffer, socklen_t(buffer.count))
            return "[\(String(cString: buffer))]:\(port)"
        }
    }

    func withSockaddr<T>(_ body: (UnsafePointer<sockaddr>, socklen_t) -> T) -> T {
        switch storage {
        case .v4(var address):
            return withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { body($0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
        case .v6(var address):
            return withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { body($0, socklen_t(MemoryLayout<sockaddr_in6>.size)) }
            }
        }
    }

    static func fromKernel(_ storage: sockaddr_storage) -> SocketAddress? {
        var copy = storage
        return withUnsafeBytes(of: &copy) { raw -> SocketAddress? in
            switch Int32(storage.ss_family) {
            case AF_INET: return SocketAddress(storage: .v4(raw.load(as: sockaddr_in.self)))
            case AF_INET6: return SocketAddress(storage: .v6(raw.load(as: sockaddr_in6.self)))
            default: return nil
            }
        }
    }
}
