import CLinux
import Glibc

public enum ReadResult: Equatable {
    case bytes(Int)
    case wouldBlock
    case closed
    case failed(Int32)
}

public enum WriteResult: Equatable {
    case wrote(Int)
    case wouldBlock
    case failed(Int32)
}

/// A non-blocking connected TCP socket. It owns its descriptor and closes it once.
public final class TCPSocket {
    public let fd: Int32
    public let peer: SocketAddress?
    private var isClosed = false
    /// Accepted from a listener that had a drop filter (PeerDropFilter), which the kernel copies
    /// to the connection: removed in `prepareAccepted`, so the connection's packets do not run a
    /// program meant for connection attempts.
    var mayHaveInheritedFilter = false

    init(fd: Int32, peer: SocketAddress?) {
        self.fd = fd
        self.peer = peer
    }

    deinit { close() }

    /// Starts a non-blocking connect; completion shows as writability, then `connectResult()`.
    public static func connect(to address: SocketAddress) throws(NetIOError) -> TCPSocket {
        let fd = socket(address.family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw NetIOError.system("socket", errno) }
        let result = address.withSockaddr { Glibc.connect(fd, $0, $1) }
        if result != 0 && errno != EINPROGRESS {
            let code = errno
            Glibc.close(fd)
            throw NetIOError.system("connect \(address)", code)
        }
        let socket = TCPSocket(fd: fd, peer: address)
        socket.setNoDelay()
        return socket
    }

    /// The outcome of a non-blocking connect once the socket became writable.
    public func connectResult() -> NetIOError? {
        var code: Int32 = 0
        var length = socklen_t(MemoryLayout<Int32>.size)
        guard getsockopt(fd, SOL_SOCKET, SO_ERROR, &code, &length) == 0 else {
            return .system("getsockopt(SO_ERROR)", errno)
        }
        return code == 0 ? nil : .system("connect", code)
    }

    /// What an accepted connection needs before it is served (TCPListener.accept).
    public func prepareAccepted() {
        // accept4 hides behind _GNU_SOURCE, which Swift's Glibc module is not built with.
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
        _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
        setNoDelay()
        if mayHaveInheritedFilter { _ = xsc_detach_socket_filter(fd) }
    }

    func setNoDelay() {
        var on: Int32 = 1
        setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &on, socklen_t(MemoryLayout<Int32>.size))
    }

    /// Reads into the start of `buffer` (its count is the most it reads).
    public func read(into buffer: inout [UInt8]) -> ReadResult {
        let count = buffer.count
        let result = buffer.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, count) }
        if result > 0 { return .bytes(result) }
        if result == 0 { return .closed }
        let code = errno
        if code == EAGAIN || code == EWOULDBLOCK || code == EINTR { return .wouldBlock }
        return .failed(code)
    }

    /// Writes `buffer[offset...]`.
    public func write(_ buffer: [UInt8], from offset: Int) -> WriteResult {
        let remaining = buffer.count - offset
        guard remaining > 0 else { return .wrote(0) }
        let result = buffer.withUnsafeBytes { raw in
            Glibc.send(fd, raw.baseAddress.map { $0 + offset }, remaining, Int32(MSG_NOSIGNAL))
        }
        if result >= 0 { return .wrote(result) }
        let code = errno
        if code == EAGAIN || code == EWOULDBLOCK || code == EINTR { return .wouldBlock }
        return .failed(code)
    }

    public func shutdownWrite() {
        Glibc.shutdown(fd, Int32(SHUT_WR))
    }

    public func close() {
        guard !isClosed else { return }
        isClosed = true
        Glibc.close(fd)
    }
}
