import NetIO

/// The byte stream a connection's protocol runs on: a plain TCP socket, or TLS over one
/// (`TLSServerStream`). Whatever speaks HTTP/2 (or another protocol) on top reads and writes
/// plaintext through this and never knows which it has.
protocol ConnectionStream: AnyObject {
    /// The descriptor the event loop waits on.
    var fd: Int32 { get }
    var peer: SocketAddress? { get }
    /// Reads into the start of `buffer` (its count is the most it reads).
    func read(into buffer: inout [UInt8]) -> ReadResult
    /// Writes `buffer[offset...]`, or some of it.
    func write(_ buffer: [UInt8], from offset: Int) -> WriteResult
    /// Bytes this layer produced itself that still wait for the socket (TLS handshake and
    /// records): the writer keeps calling `write` until this is false.
    var hasPendingOutput: Bool { get }
    /// Input already taken from the socket that a `read` would return without the socket
    /// becoming readable again (decrypted TLS records).
    var hasBufferedInput: Bool { get }
    func close()
}

extension TCPSocket: ConnectionStream {
    var hasPendingOutput: Bool { false }
    var hasBufferedInput: Bool { false }
}
