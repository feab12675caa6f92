import CLinux
import Glibc

/// A non-blocking listening socket. With `reusePort`, each event loop binds its own listener
/// to the same port and the kernel spreads connections across them.
public final class TCPListener {
    public let fd: Int32
    public let localAddress: SocketAddress

    public init(address: SocketAddress, reusePort: Bool, backlog: Int32 = 1024) throws(NetIOError) {
        let fd = socket(address.family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw NetIOError.system("socket", errno) }
        var on: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, socklen_t(MemoryLayout<Int32>.size))
        if reusePort {
            setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &on, socklen_t(MemoryLayout<Int32>.size))
        }
        let bound = address.withSockaddr { bind(fd, $0, $1) }
        guard bound == 0 else {
            let code = errno
            Glibc.close(fd)
            throw NetIOError.system("bind \(address)", code)
        }
        guard listen(fd, backlog) == 0 else {
            let code = errno
            Glibc.close(fd)
            throw NetIOError.system("listen", code)
        }
        self.fd = fd
        self.localAddress = TCPListener.boundAddress(fd) ?? address
    }

    private var isClosed = false
    /// Set once a drop filter was attached (PeerDropFilter): accepted sockets inherit the
    /// listener's filter, and `prepareAccepted` then removes it from them.
    var filterAttached = false

    deinit { close() }

    /// Stops listening: new connection attempts are refused from now on.
    public func close() {
        guard !isClosed else { return }
        isClosed = true
        Glibc.close(fd)
    }

    /// The next pending connection, or nil when none is waiting. `prepared: false` leaves out
    /// the socket options (non-blocking, close-on-exec, no Nagle) for a caller that may close the
    /// connection at once (admission at accept): it then calls `prepareAccepted()` to serve it.
    public func accept(prepared: Bool = true) -> TCPSocket? {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let client = withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                Glibc.accept(fd, $0, &length)
            }
        }
        guard client >= 0 else { return nil }
        let socket = TCPSocket(fd: client, peer: SocketAddress.fromKernel(storage))
        socket.mayHaveInheritedFilter = filterAttached
        if prepared { socket.prepareAccepted() }
        return socket
    }

    private static func boundAddress(_ fd: Int32) -> SocketAddress? {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let result = withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        return result == 0 ? SocketAddress.fromKernel(storage) : nil
    }
}
