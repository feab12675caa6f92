import NetIO
import XCTest

/// A bare HTTP/2 peer for tests that must misbehave: writes hand-made frames, reads whatever
/// comes back until the server closes the connection or time runs out.
final class RawHTTP2Client {
    struct Frame { let type: UInt8; let flags: UInt8; let streamID: UInt32; let payload: [UInt8] }

    let socket: TCPSocket
    private var received: [UInt8] = []

    init(port: Int) throws {
        socket = try TCPSocket.connect(to: SocketAddress(numericHost: "127.0.0.1", port: port))
        try send(Array("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".utf8) + RawHTTP2Client.frame(type: 4, flags: 0, streamID: 0, payload: []))
    }

    static func frame(type: UInt8, flags: UInt8, streamID: UInt32, payload: [UInt8]) -> [UInt8] {
        let length = payload.count
        return [UInt8(length >> 16 & 0xFF), UInt8(length >> 8 & 0xFF), UInt8(length & 0xFF), type, flags,
                UInt8(streamID >> 24 & 0x7F), UInt8(streamID >> 16 & 0xFF), UInt8(streamID >> 8 & 0xFF), UInt8(streamID & 0xFF)]
            + payload
    }

    func ping(_ opaque: UInt8) throws {
        try send(RawHTTP2Client.frame(type: 6, flags: 0, streamID: 0, payload: [UInt8](repeating: opaque, count: 8)))
    }

    func send(_ bytes: [UInt8]) throws {
        var offset = 0
        for _ in 0..<500 where offset < bytes.count {
            switch socket.write(bytes, from: offset) {
            case .wrote(let count): offset += count
            case .wouldBlock: usleep(2000)
            case .failed(let code): throw NetIOError.system("send", code)
            }
        }
    }

    /// Reads until the server closes (true) or `seconds` pass (false).
    func readUntilClosed(seconds: Int) -> Bool {
        var buffer = [UInt8](repeating: 0, count: 16 * 1024)
        for _ in 0..<(seconds * 100) {
            switch socket.read(into: &buffer) {
            case .bytes(let count): received += buffer[0..<count]
            case .wouldBlock: usleep(10_000)
            case .closed, .failed: return true
            }
        }
        return false
    }

    /// The frames received so far (the server's preface SETTINGS included).
    func frames() -> [Frame] {
        var frames: [Frame] = []
        var index = 0
        while index + 9 <= received.count {
            let length = Int(received[index]) << 16 | Int(received[index + 1]) << 8 | Int(received[index + 2])
            guard index + 9 + length <= received.count else { break }
            let stream = UInt32(received[index + 5] & 0x7F) << 24 | UInt32(received[index + 6]) << 16
                | UInt32(received[index + 7]) << 8 | UInt32(received[index + 8])
            frames.append(Frame(type: received[index + 3], flags: received[index + 4], streamID: stream,
                                payload: Array(received[(index + 9)..<(index + 9 + length)])))
            index += 9 + length
        }
        return frames
    }

    /// The error code of the GOAWAY the server sent, if any.
    func goawayErrorCode() -> UInt32? {
        guard let goaway = frames().last(where: { $0.type == 7 }), goaway.payload.count >= 8 else { return nil }
        let p = goaway.payload
        return UInt32(p[4]) << 24 | UInt32(p[5]) << 16 | UInt32(p[6]) << 8 | UInt32(p[7])
    }
}
