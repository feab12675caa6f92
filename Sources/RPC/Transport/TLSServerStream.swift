import Glibc
import NetIO
import TLS

/// TLS under a server connection: the socket carries ciphertext, the connection above reads
/// and writes plaintext. The handshake runs inside the first reads; what the connection writes
/// before it completes (the server's HTTP/2 preface) waits and goes out encrypted after it.
/// A failed handshake is a failed read: the connection closes after the alert is sent. The
/// server's TLS listener runs the handshake on its own first (`advanceHandshake`, ServerTLS),
/// since which protocol follows is what ALPN chose.
///
/// Public for other protocols on their own loops (the HTTP/1.1 connection handling of ServiceKit's
/// PublicHTTP, handed an `http/1.1` connection): a user writes until `write` has taken everything
/// AND `hasPendingOutput` is false (waiting for writability between), and reads again without
/// waiting when `hasBufferedInput` (records already taken from the socket do not make it
/// readable again).
public final class TLSServerStream: ConnectionStream {
    public let socket: TCPSocket
    public let session: TLSServerSession
    /// The loop's buffer for ciphertext read from sockets (connections on one loop never read
    /// at the same time); a buffer of its own once handed to another loop (`leaveLoopBuffer`).
    private var cipherInput: ReadBuffer
    /// Ciphertext for the socket, from `cipherOffset` on.
    private var cipherOutput: [UInt8] = []
    private var cipherOffset = 0
    /// Plaintext written before the handshake completed.
    private var early: [UInt8] = []

    init(socket: TCPSocket, context: TLSServerContext, cipherInput: ReadBuffer) throws(TLSError) {
        self.socket = socket
        self.session = try TLSServerSession(context: context)
        self.cipherInput = cipherInput
    }

    /// With a ciphertext buffer of its own (RPC's connections share their loop's).
    public convenience init(socket: TCPSocket, context: TLSServerContext) throws(TLSError) {
        try self.init(socket: socket, context: context, cipherInput: ReadBuffer(size: 32 * 1024))
    }

    public var fd: Int32 { socket.fd }
    public var peer: SocketAddress? { socket.peer }
    public var peerDescription: String { socket.peer?.description ?? "unknown" }
    public var hasPendingOutput: Bool { cipherOffset < cipherOutput.count || session.hasOutgoing }
    public var hasBufferedInput: Bool { session.isEstablished && session.hasBufferedInput }

    public func read(into buffer: inout [UInt8]) -> ReadResult {
        do {
            if !session.isEstablished {
                if let result = try handshakeStep() { return result }
            }
            return try readPlaintext(into: &buffer)
        } catch {
            // Whatever alert OpenSSL queued goes out before the close (best effort).
            session.takeOutgoing(appendingTo: &cipherOutput)
            _ = sendCiphertext()
            return .failed(EPROTO)
        }
    }

    /// Where a handshake stands after `advanceHandshake`.
    enum HandshakeProgress: Equatable {
        case established
        /// Waits for the socket (readable, or writable while `hasPendingOutput`).
        case waiting
        /// The client left, or the handshake failed (its alert sent, best effort).
        case ended
    }

    /// Runs the handshake as far as the socket allows, without reading application data.
    func advanceHandshake() -> HandshakeProgress {
        guard !session.isEstablished else { return .established }
        do {
            switch try handshakeStep() {
            case nil: return .established
            case .wouldBlock?: return .waiting
            default: return .ended
            }
        } catch {
            session.takeOutgoing(appendingTo: &cipherOutput)
            _ = sendCiphertext()
            return .ended
        }
    }

    /// Gives the stream a ciphertext buffer of its own, before it moves to another loop's thread.
    func leaveLoopBuffer() {
        cipherInput = ReadBuffer(size: 32 * 1024)
    }

    /// Runs the handshake on what the socket has; nil once established (go on reading).
    private func handshakeStep() throws(TLSError) -> ReadResult? {
        while true {
            let progress = try session.handshake()
            session.takeOutgoing(appendingTo: &cipherOutput)
            if progress == .done { break }
            if progress == .closed { return .closed }
            switch socket.read(into: &cipherInput.bytes) {
            case .bytes(let count):
                try session.receive(cipherInput.bytes[0..<count])
            case .wouldBlock:
                if case .failed(let code) = sendCiphertext() { return .failed(code) }
                return .wouldBlock
            case .closed:
                return .closed
            case .failed(let code):
                return .failed(code)
            }
        }
        if !early.isEmpty {
            try session.write(early[...])
            early = []
            session.takeOutgoing(appendingTo: &cipherOutput)
        }
        if case .failed(let code) = sendCiphertext() { return .failed(code) }
        return nil
    }

    /// Fills as much of `buffer` as the received records allow, reading the socket while
    /// OpenSSL needs more: the connection above treats a short read as "the socket is empty".
    private func readPlaintext(into buffer: inout [UInt8]) throws(TLSError) -> ReadResult {
        var filled = 0
        var ended = false
        reading: while filled < buffer.count {
            let (progress, count) = try session.read(into: &buffer, at: filled)
            switch progress {
            case .done:
                filled += count
            case .closed:
                ended = true
                break reading
            case .needsInput:
                switch socket.read(into: &cipherInput.bytes) {
                case .bytes(let received):
                    try session.receive(cipherInput.bytes[0..<received])
                case .wouldBlock:
                    break reading
                case .closed:
                    ended = true
                    break reading
                case .failed(let code):
                    if filled == 0 { return .failed(code) }
                    break reading
                }
            }
        }
        // Reading can produce records of its own (TLS 1.3 key updates, alerts).
        if session.hasOutgoing {
            session.takeOutgoing(appendingTo: &cipherOutput)
            if case .failed(let code) = sendCiphertext(), filled == 0 { return .failed(code) }
        }
        if filled > 0 { return .bytes(filled) }
        return ended ? .closed : .wouldBlock
    }

    public func write(_ buffer: [UInt8], from offset: Int) -> WriteResult {
        // What was encrypted earlier goes first; until it has, the writer waits for the socket.
        switch sendCiphertext() {
        case .failed(let code): return .failed(code)
        case .wouldBlock: return .wouldBlock
        case .wrote: break
        }
        let count = buffer.count - offset
        guard count > 0 else { return .wrote(0) }
        guard session.isEstablished else {
            early += buffer[offset...]
            return .wrote(count)
        }
        do {
            try session.write(buffer[offset...])
        } catch {
            return .failed(EPROTO)
        }
        session.takeOutgoing(appendingTo: &cipherOutput)
        if case .failed(let code) = sendCiphertext() { return .failed(code) }
        // All of it is taken (encrypted); what the socket did not take yet is
        // `hasPendingOutput`, and the writer calls again for it.
        return .wrote(count)
    }

    /// Writes pending ciphertext: `.wrote` once none is left.
    private func sendCiphertext() -> WriteResult {
        if session.hasOutgoing { session.takeOutgoing(appendingTo: &cipherOutput) }
        while cipherOffset < cipherOutput.count {
            switch socket.write(cipherOutput, from: cipherOffset) {
            case .wrote(let count):
                cipherOffset += count
            case .wouldBlock:
                return .wouldBlock
            case .failed(let code):
                return .failed(code)
            }
        }
        cipherOutput.removeAll(keepingCapacity: cipherOutput.capacity <= 1 << 20)
        cipherOffset = 0
        return .wrote(0)
    }

    /// Ends the sending side: close_notify, then a TCP half-close (the HTTP/1.1 lingering close).
    public func shutdownWrite() {
        if session.isEstablished {
            session.shutdown()
            _ = sendCiphertext()
        }
        socket.shutdownWrite()
    }

    public func close() {
        if session.isEstablished {
            session.shutdown()
            _ = sendCiphertext()
        }
        socket.close()
    }
}
