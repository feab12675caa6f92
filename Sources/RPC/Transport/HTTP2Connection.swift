import HTTP2
import NetIO

/// What a server or client connection does with the events of its HTTP/2 session.
protocol HTTP2ConnectionDelegate: AnyObject {
    /// The session recorded events (read them from `connection.session.events`).
    func processEvents(_ connection: HTTP2Connection)
    /// Everything queued was written: senders waiting for room may go on.
    func outputDrained(_ connection: HTTP2Connection)
    func connectionClosed(_ connection: HTTP2Connection)
    /// nghttp2 ended the session because the peer flooded it (HTTP2Error.isFlood; the GOAWAY
    /// is queued, the connection closes after it).
    func peerFlooded(_ connection: HTTP2Connection)
}

extension HTTP2ConnectionDelegate {
    func peerFlooded(_ connection: HTTP2Connection) {}
}

/// Socket I/O for one HTTP/2 session, shared by server and client connections: reads feed
/// nghttp2 as they arrive, and everything produced in one loop iteration is written once at
/// its end (many responses per write under load).
final class HTTP2Connection: IOHandler, TickHandler {
    /// Plain TCP, or TLS over it (ConnectionStream).
    let socket: any ConnectionStream
    let session: HTTP2Session
    let loop: EventLoop
    weak var delegate: HTTP2ConnectionDelegate?
    /// The loop's shared read buffer: connections on one loop never read at the same time.
    private let readBuffer: ReadBuffer
    private var writeBuffer: [UInt8] = []
    private var writeOffset = 0
    private var flushRequested = false
    private var wantsWritable = false
    private(set) var isClosed = false
    /// Set when the connection should close once its streams are done.
    var closeWhenIdle = false
    /// Asked after each flush whether the connection has work left, for `closeWhenIdle`.
    var hasActiveStreams: () -> Bool = { false }

    init(socket: any ConnectionStream, session: HTTP2Session, loop: EventLoop, readBuffer: ReadBuffer) {
        self.socket = socket
        self.session = session
        self.loop = loop
        self.readBuffer = readBuffer
    }

    func register(writable: Bool = false) throws {
        wantsWritable = writable
        try loop.register(fd: socket.fd, handler: self, readable: true, writable: writable)
        requestFlush()
    }

    func handleIO(readable: Bool, writable: Bool, hangup: Bool) {
        if readable { readAvailable() }
        if writable && !isClosed { flush() }
        if hangup && !readable && !isClosed { close() }
    }

    private func readAvailable() {
        // Bounded so one busy connection cannot starve the others on this loop.
        for _ in 0..<8 {
            // A session ended for abuse reads nothing more: its remaining bytes are the abuse.
            guard !isClosed else { return }
            if session.isTerminating {
                // Level-triggered readiness would call again at once: the close follows the
                // GOAWAY's flush at the end of this loop iteration.
                requestFlush()
                return
            }
            switch socket.read(into: &readBuffer.bytes) {
            case .bytes(let count):
                var failed = false
                var flooded = false
                do {
                    try session.receive(readBuffer.bytes[0..<count])
                } catch {
                    failed = true
                    flooded = error.isFlood
                }
                delegate?.processEvents(self)
                requestFlush()
                if failed {
                    // nghttp2 queued a GOAWAY; send it, then close.
                    closeWhenIdle = true
                    if flooded { delegate?.peerFlooded(self) }
                    return
                }
                if count < readBuffer.bytes.count { return }
            case .wouldBlock:
                // A TLS handshake step may have left records for the socket.
                if socket.hasPendingOutput { requestFlush() }
                return
            case .closed, .failed:
                close()
                return
            }
        }
        // Decrypted TLS input does not make the socket readable again: come back for it.
        if socket.hasBufferedInput { loop.executeLocal { [weak self] in self?.readAvailable() } }
    }

    func requestFlush() {
        guard !flushRequested, !isClosed else { return }
        flushRequested = true
        loop.requestTickEnd(self)
    }

    func tickEnded() {
        flushRequested = false
        flush()
    }

    func flush() {
        guard !isClosed else { return }
        // Sending the last frame of a stream closes it, and handling that may queue more
        // frames: a couple of rounds settle it.
        for _ in 0..<4 {
            do {
                try session.send(into: &writeBuffer)
            } catch {
                close()
                return
            }
            guard !session.events.isEmpty else { break }
            delegate?.processEvents(self)
            if !session.wantsWrite { break }
        }
        while writeOffset < writeBuffer.count || socket.hasPendingOutput {
            switch socket.write(writeBuffer, from: writeOffset) {
            case .wrote(let count):
                writeOffset += count
            case .wouldBlock:
                // A peer ended for abuse that does not read its GOAWAY is not waited for.
                if session.isTerminating {
                    close()
                    return
                }
                setWritableInterest(true)
                return
            case .failed:
                close()
                return
            }
        }
        writeBuffer.removeAll(keepingCapacity: writeBuffer.capacity <= 1 << 20)
        writeOffset = 0
        setWritableInterest(false)
        delegate?.outputDrained(self)
        if session.isTerminating || (!session.wantsRead && !session.wantsWrite) {
            close()
        } else if closeWhenIdle && !hasActiveStreams() && !session.wantsWrite {
            close()
        }
    }

    private func setWritableInterest(_ wanted: Bool) {
        guard wanted != wantsWritable else { return }
        wantsWritable = wanted
        loop.modify(fd: socket.fd, readable: true, writable: wanted)
    }

    func close() {
        guard !isClosed else { return }
        isClosed = true
        loop.deregister(fd: socket.fd)
        socket.close()
        delegate?.connectionClosed(self)
    }
}

/// A loop's read buffer, shared by reference among its connections.
final class ReadBuffer {
    var bytes: [UInt8]
    init(size: Int = 64 * 1024) { bytes = [UInt8](repeating: 0, count: size) }
}
