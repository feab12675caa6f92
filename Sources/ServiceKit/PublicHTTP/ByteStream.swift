import NetIO
import RPC

/// What the public HTTP/1.1 connection reads and writes: a non-blocking byte stream on a file
/// descriptor the loop polls. A plain TCP socket is one; a TLS session over a socket (an
/// `http/1.1` connection of the gateway's TLS listener, `TLSServerStream`) is another, so HTTP
/// parsing never knows which it runs on.
public protocol ByteStream: AnyObject {
    var fd: Int32 { get }
    var peerDescription: String { get }
    func read(into buffer: inout [UInt8]) -> ReadResult
    func write(_ buffer: [UInt8], from offset: Int) -> WriteResult
    /// Bytes the stream made itself that still wait for the socket (TLS records): a writer
    /// calls `write` again, once writable, until this is false.
    var hasPendingOutput: Bool { get }
    /// Input already taken from the socket that `read` returns without the socket becoming
    /// readable again (decrypted TLS records): a reader that stopped early reads again.
    var hasBufferedInput: Bool { get }
    func shutdownWrite()
    func close()
}

extension ByteStream {
    public var hasPendingOutput: Bool { false }
    public var hasBufferedInput: Bool { false }
}

extension TCPSocket: ByteStream {
    public var peerDescription: String { peer?.description ?? "unknown" }
}

extension TLSServerStream: ByteStream {}
