import NetIO

/// What the public HTTP/1.1 connection reads and writes: a non-blocking byte stream on a file
/// descriptor the loop polls. A plain TCP socket is one; a TLS session over a socket (the
/// gateway's edge TLS) can be another, so HTTP parsing never knows which it runs on.
public protocol ByteStream: AnyObject {
    var fd: Int32 { get }
    var peerDescription: String { get }
    func read(into buffer: inout [UInt8]) -> ReadResult
    func write(_ buffer: [UInt8], from offset: Int) -> WriteResult
    func shutdownWrite()
    func close()
}

extension TCPSocket: ByteStream {
    public var peerDescription: String { peer?.description ?? "unknown" }
}
