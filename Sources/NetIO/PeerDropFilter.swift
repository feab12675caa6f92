import CLinux
import Glibc

/// A classic BPF socket filter that drops every packet from a set of clients (IPv4 addresses,
/// IPv6 /64 prefixes). Attached to a listening TCP socket it drops their SYNs before the kernel
/// answers them: no handshake, no accept, no close, no work of ours at all; the client's connect
/// times out (or its SYN is retransmitted, after a second, and gets in once the block is lifted).
///
/// The program (the kernel runs it on the socket's packets with `data` at the TCP header, so the
/// IP header is read through SKF_NET_OFF):
///
///     ld  proto                      ; skb->protocol, SKF_AD_PROTOCOL
///     jeq #0x0800, v4, v6
///  v4: ld [net + 12]                 ; source address
///     jeq #a1, drop ... jeq #an, drop
///     ret #accept
///  v6: jeq #0x86dd, 0, accept
///     ld [net + 8]; jeq #hi1, 0, +2; ld [net + 12]; jeq #lo1, drop   ; per /64
///     ...
///  accept: ret #-1
///  drop:   ret #0
///
/// Jump offsets are 8 bits, so the program is bounded: at most `maxPrefixes` clients.
public struct PeerDropFilter: Equatable, Sendable {
    /// Clients one program holds at most (every jump stays within 255 instructions).
    public static let maxPrefixes = 60

    public let prefixes: [PeerPrefix]

    /// The first `maxPrefixes` of `prefixes`, duplicates removed.
    public init(dropping prefixes: [PeerPrefix]) {
        var seen = Set<PeerPrefix>()
        self.prefixes = Array(prefixes.filter { seen.insert($0).inserted }.prefix(Self.maxPrefixes))
    }

    // Classic BPF opcodes (linux/bpf_common.h); Swift does not import the macros that combine them.
    private static let loadWordAbsolute: UInt16 = 0x00 | 0x00 | 0x20   // BPF_LD | BPF_W | BPF_ABS
    private static let jumpIfEqual: UInt16 = 0x05 | 0x10 | 0x00        // BPF_JMP | BPF_JEQ | BPF_K
    private static let returnConstant: UInt16 = 0x06 | 0x00            // BPF_RET | BPF_K
    private static let protocolOffset = UInt32(bitPattern: -0x1000)    // SKF_AD_OFF + SKF_AD_PROTOCOL
    private static let networkOffset: Int32 = -0x100000                // SKF_NET_OFF

    private static func network(_ offset: Int32) -> UInt32 { UInt32(bitPattern: networkOffset + offset) }

    /// The instructions (see the type's comment).
    var program: [sock_filter] {
        let v4 = prefixes.compactMap { if case .v4(let address) = $0 { address } else { nil } }
        let v6 = prefixes.compactMap { if case .v6(let prefix) = $0 { prefix } else { nil } }
        let v4Length = 2 + v4.count
        let v6Length = 1 + 4 * v6.count
        let accept = 2 + v4Length + v6Length
        let drop = accept + 1
        var code: [sock_filter] = []
        code.reserveCapacity(drop + 1)
        func emit(_ op: UInt16, _ k: UInt32, jumpTo yes: Int? = nil, else no: Int? = nil) {
            let next = code.count + 1
            code.append(sock_filter(code: op, jt: UInt8(yes.map { $0 - next } ?? 0), jf: UInt8(no.map { $0 - next } ?? 0), k: k))
        }
        emit(Self.loadWordAbsolute, Self.protocolOffset)
        emit(Self.jumpIfEqual, 0x0800, else: 2 + v4Length)
        emit(Self.loadWordAbsolute, Self.network(12))
        for address in v4 { emit(Self.jumpIfEqual, address, jumpTo: drop) }
        emit(Self.returnConstant, UInt32.max)
        emit(Self.jumpIfEqual, 0x86DD, else: accept)
        for prefix in v6 {
            let entry = code.count
            emit(Self.loadWordAbsolute, Self.network(8))
            emit(Self.jumpIfEqual, UInt32(truncatingIfNeeded: prefix >> 32), else: entry + 4)
            emit(Self.loadWordAbsolute, Self.network(12))
            emit(Self.jumpIfEqual, UInt32(truncatingIfNeeded: prefix), jumpTo: drop)
        }
        emit(Self.returnConstant, UInt32.max)
        emit(Self.returnConstant, 0)
        return code
    }
}

extension TCPListener {
    /// Drops connection attempts from `filter`'s clients in the kernel from now on (replacing
    /// the previous set); an empty set removes the filter. Connections already accepted or
    /// waiting in the accept queue are not touched.
    public func dropConnections(_ filter: PeerDropFilter) throws(NetIOError) {
        if filter.prefixes.isEmpty {
            guard xsc_detach_socket_filter(fd) == 0 || errno == ENOENT else { throw .system("setsockopt(SO_DETACH_FILTER)", errno) }
            return
        }
        filterAttached = true
        let program = filter.program
        let result = program.withUnsafeBufferPointer { xsc_attach_socket_filter(fd, $0.baseAddress, UInt16(program.count)) }
        guard result == 0 else { throw .system("setsockopt(SO_ATTACH_FILTER)", errno) }
    }
}
