import CLinux
import Glibc

/// Who is connecting, as far as per-client limits go: an IPv4 address, or the /64 prefix of an
/// IPv6 address (one host, or one customer's router, usually owns a whole /64 and can pick any
/// address in it, so limiting single IPv6 addresses limits nothing). An IPv4-mapped IPv6
/// address (`::ffff:10.0.0.7`, what a dual-stack listener reports for IPv4 clients) is the IPv4
/// address. Also what a listener's kernel filter matches (`TCPListener.dropConnections`).
public enum PeerPrefix: Hashable, Sendable, CustomStringConvertible {
    /// The address in host byte order.
    case v4(UInt32)
    /// The first 64 bits of the address in host byte order.
    case v6(UInt64)

    /// Parses an address as `SocketAddress.host` prints it ("10.0.0.7", "2001:db8::1",
    /// "::ffff:10.0.0.7") or a prefix as `description` prints it ("2001:db8:0:1::/64"); nil for
    /// anything else.
    public init?(host: String) {
        var v4 = in_addr()
        if inet_pton(AF_INET, host, &v4) == 1 {
            self = .v4(UInt32(bigEndian: v4.s_addr))
            return
        }
        let literal = host.hasSuffix("/64") ? String(host.dropLast(3)) : host
        var v6 = in6_addr()
        guard inet_pton(AF_INET6, literal, &v6) == 1 else { return nil }
        self = Self(v6)
    }

    init(_ address: in6_addr) {
        var copy = address
        let bytes = withUnsafeBytes(of: &copy) { Array($0) }
        let mapped = bytes[0..<10].allSatisfy { $0 == 0 } && bytes[10] == 0xFF && bytes[11] == 0xFF
        if mapped {
            self = .v4(bytes[12..<16].reduce(UInt32(0)) { $0 << 8 | UInt32($1) })
        } else {
            self = .v6(bytes[0..<8].reduce(UInt64(0)) { $0 << 8 | UInt64($1) })
        }
    }

    /// "10.0.0.7" or "2001:db8:0:1::/64": the key per-client tables use.
    public var description: String {
        var buffer = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
        switch self {
        case .v4(let address):
            var raw = in_addr(s_addr: address.bigEndian)
            inet_ntop(AF_INET, &raw, &buffer, socklen_t(buffer.count))
            return String(cString: buffer)
        case .v6(let prefix):
            var raw = in6_addr()
            withUnsafeMutableBytes(of: &raw) { bytes in
                for index in 0..<8 { bytes[index] = UInt8(truncatingIfNeeded: prefix >> (56 - 8 * UInt64(index))) }
            }
            inet_ntop(AF_INET6, &raw, &buffer, socklen_t(buffer.count))
            return String(cString: buffer) + "/64"
        }
    }

    /// The key a per-client table files `host` under: IPv4 text as it is (the common case, no
    /// parsing), an IPv6 address as its /64, anything unparseable (a test's "abuser") as it is.
    public static func key(forHost host: String) -> String {
        guard host.utf8.contains(UInt8(ascii: ":")) else { return host }
        return PeerPrefix(host: host)?.description ?? host
    }
}

extension SocketAddress {
    /// The client the address belongs to, for per-client limits (see PeerPrefix).
    public var peerPrefix: PeerPrefix {
        switch storage {
        case .v4(let address): .v4(UInt32(bigEndian: address.sin_addr.s_addr))
        case .v6(let address): PeerPrefix(address.sin6_addr)
        }
    }
}
