import CLinux
import Glibc
import XCTest
@testable import NetIO

/// The kernel drop of blocked clients' connection attempts, on real listening sockets of this
/// kernel: a connect from a blocked address gets no answer (its SYN is dropped), one from
/// another address is accepted, and once the filter is lifted the blocked client's retransmitted
/// SYN gets in.
final class PeerDropFilterTests: XCTestCase {
    /// A non-blocking connect from `source` to `target`.
    private func connect(from source: String, to target: SocketAddress) throws -> Int32 {
        let family = target.family
        let fd = socket(family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0)
        XCTAssertGreaterThanOrEqual(fd, 0)
        let local = try SocketAddress(numericHost: source, port: 0)
        XCTAssertEqual(local.withSockaddr { bind(fd, $0, $1) }, 0, "bind \(source)")
        let result = target.withSockaddr { Glibc.connect(fd, $0, $1) }
        XCTAssertTrue(result == 0 || errno == EINPROGRESS)
        return fd
    }

    /// True once the connect completed within `milliseconds` (false: still waiting for a SYN-ACK).
    private func connected(_ fd: Int32, within milliseconds: Int32) -> Bool {
        var poll = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
        guard Glibc.poll(&poll, 1, milliseconds) == 1 else { return false }
        var code: Int32 = 0
        var length = socklen_t(MemoryLayout<Int32>.size)
        getsockopt(fd, SOL_SOCKET, SO_ERROR, &code, &length)
        return code == 0
    }

    /// Waits up to a second for a connection in the accept queue.
    private func acceptOne(_ listener: TCPListener) -> TCPSocket? {
        var poll = pollfd(fd: listener.fd, events: Int16(POLLIN), revents: 0)
        guard Glibc.poll(&poll, 1, 1000) == 1 else { return nil }
        return listener.accept()
    }

    func testABlockedIPv4AddressIsDroppedInTheKernelAndAnotherIsAccepted() throws {
        let listener = try TCPListener(address: SocketAddress(numericHost: "0.0.0.0", port: 0), reusePort: true)
        let target = try SocketAddress(numericHost: "127.0.0.1", port: listener.localAddress.port)
        try listener.dropConnections(PeerDropFilter(dropping: [PeerPrefix(host: "127.0.0.9")!, PeerPrefix(host: "127.0.0.2")!,
                                                             PeerPrefix(host: "2001:db8::1")!]))

        let blocked = try connect(from: "127.0.0.2", to: target)
        defer { close(blocked) }
        XCTAssertFalse(connected(blocked, within: 300), "a blocked address's SYN must get no answer")

        let other = try connect(from: "127.0.0.3", to: target)
        defer { close(other) }
        XCTAssertTrue(connected(other, within: 2000), "another address connects")
        let accepted = try XCTUnwrap(acceptOne(listener))
        XCTAssertEqual(accepted.peer?.host, "127.0.0.3")
        XCTAssertNil(listener.accept(), "the blocked connect never reached the accept queue")

        // Lifted: the blocked client's own SYN retransmission (after about a second) gets in.
        try listener.dropConnections(PeerDropFilter(dropping: []))
        XCTAssertTrue(connected(blocked, within: 5000), "the retransmitted SYN is answered once the block is lifted")
        XCTAssertEqual(acceptOne(listener)?.peer?.host, "127.0.0.2")
    }

    func testADualStackListenerDropsIPv4AndIPv6Clients() throws {
        let listener = try TCPListener(address: SocketAddress(numericHost: "::", port: 0), reusePort: true)
        let port = listener.localAddress.port
        // ::1's /64 is ::/64; 127.0.0.2 arrives as an IPv4 packet on the IPv6 listener.
        try listener.dropConnections(PeerDropFilter(dropping: [PeerPrefix(host: "::1")!, PeerPrefix(host: "127.0.0.2")!]))
        let v6 = try connect(from: "::1", to: SocketAddress(numericHost: "::1", port: port))
        defer { close(v6) }
        let v4 = try connect(from: "127.0.0.2", to: SocketAddress(numericHost: "127.0.0.1", port: port))
        defer { close(v4) }
        let allowed = try connect(from: "127.0.0.3", to: SocketAddress(numericHost: "127.0.0.1", port: port))
        defer { close(allowed) }
        XCTAssertTrue(connected(allowed, within: 2000))
        XCTAssertFalse(connected(v6, within: 300), "the blocked /64")
        XCTAssertFalse(connected(v4, within: 10), "the blocked IPv4 address")

        // Another /64 in the filter does not match ::1.
        try listener.dropConnections(PeerDropFilter(dropping: [PeerPrefix(host: "2001:db8:0:1::")!]))
        let again = try connect(from: "::1", to: SocketAddress(numericHost: "::1", port: port))
        defer { close(again) }
        XCTAssertTrue(connected(again, within: 2000))
    }

    func testTheProgramIsBoundedAndEveryJumpFits() {
        let many = (0..<200).map { PeerPrefix.v4(0x0A00_0000 + UInt32($0)) } + (0..<200).map { PeerPrefix.v6(UInt64($0) << 16) }
        let filter = PeerDropFilter(dropping: many)
        XCTAssertEqual(filter.prefixes.count, PeerDropFilter.maxPrefixes)
        for v4Count in [0, 1, 30, PeerDropFilter.maxPrefixes] {
            let mixed = PeerDropFilter(dropping: Array(many.prefix(v4Count)) + Array(many.suffix(PeerDropFilter.maxPrefixes - v4Count)))
            let program = mixed.program
            XCTAssertLessThan(program.count, 256)
            for (index, instruction) in program.enumerated() where instruction.code == 0x15 {  // jeq
                XCTAssertLessThan(index + 1 + Int(max(instruction.jt, instruction.jf)), program.count, "jump \(index) inside the program")
            }
        }
        XCTAssertEqual(PeerDropFilter(dropping: [.v4(1), .v4(1)]).prefixes, [.v4(1)], "duplicates removed")
    }

    /// The kernel takes the largest program (its checker refuses a jump out of the program, and
    /// the socket's option memory must hold it), on an IPv4 and a dual-stack listener.
    func testTheKernelAcceptsTheLargestProgram() throws {
        let many = (0..<30).map { PeerPrefix.v4(0x0A00_0000 + UInt32($0)) } + (0..<100).map { PeerPrefix.v6(UInt64($0) << 16) }
        for host in ["0.0.0.0", "::"] {
            let listener = try TCPListener(address: SocketAddress(numericHost: host, port: 0), reusePort: true)
            XCTAssertNoThrow(try listener.dropConnections(PeerDropFilter(dropping: many)))
            XCTAssertNoThrow(try listener.dropConnections(PeerDropFilter(dropping: Array(many.suffix(PeerDropFilter.maxPrefixes)))))
            XCTAssertNoThrow(try listener.dropConnections(PeerDropFilter(dropping: [])))
        }
    }

    func testPrefixesGroupIPv6By64AndMappedIPv4AsIPv4() throws {
        XCTAssertEqual(PeerPrefix(host: "10.0.0.7"), .v4(0x0A00_0007))
        XCTAssertEqual(PeerPrefix(host: "::ffff:10.0.0.7"), .v4(0x0A00_0007))
        XCTAssertEqual(PeerPrefix(host: "2001:db8:1:2:aaaa::1"), PeerPrefix(host: "2001:db8:1:2:ffff:ffff:ffff:ffff"))
        XCTAssertNotEqual(PeerPrefix(host: "2001:db8:1:2::1"), PeerPrefix(host: "2001:db8:1:3::1"))
        XCTAssertEqual(PeerPrefix(host: "2001:db8:1:2:aaaa::1")?.description, "2001:db8:1:2::/64")
        XCTAssertEqual(PeerPrefix(host: "2001:db8:1:2::/64"), PeerPrefix(host: "2001:db8:1:2::9"))
        XCTAssertNil(PeerPrefix(host: "abuser"))
        XCTAssertEqual(PeerPrefix.key(forHost: "10.0.0.7"), "10.0.0.7")
        XCTAssertEqual(PeerPrefix.key(forHost: "::ffff:10.0.0.7"), "10.0.0.7")
        XCTAssertEqual(PeerPrefix.key(forHost: "2001:db8::5"), "2001:db8::/64")
        XCTAssertEqual(PeerPrefix.key(forHost: "abuser"), "abuser")
        XCTAssertEqual(try SocketAddress(numericHost: "::ffff:127.0.0.2", port: 1).peerPrefix, .v4(0x7F00_0002))
    }
}
