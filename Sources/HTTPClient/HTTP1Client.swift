import NetIO
import TLS

/// A minimal HTTP/1.1 client for the SMS gateway: one request per connection
/// (`Connection: close`), over plain TCP or TLS (the `TLS` module's session, fed from here).
/// It drives NetIO's non-blocking socket by polling with short sleeps: SMS volume is a few per
/// second at most, and this keeps the client free of threads and of C imports. Every step
/// honours one overall deadline.
public struct HTTP1Client: Sendable {
    public struct Response: Sendable, Equatable {
        public var status: Int
        public var headers: [(String, String)]
        public var body: [UInt8]

        public static func == (lhs: Response, rhs: Response) -> Bool {
            lhs.status == rhs.status && lhs.body == rhs.body
                && lhs.headers.map { $0.0 + ":" + $0.1 } == rhs.headers.map { $0.0 + ":" + $0.1 }
        }
    }

    public enum Failure: Error, Equatable, CustomStringConvertible {
        case connect(String)
        case timeout
        case io(String)
        case malformedResponse(String)
        case tls(String)

        public var description: String {
            switch self {
            case .connect(let reason): return "connect failed: \(reason)"
            case .timeout: return "timed out"
            case .io(let reason): return "i/o error: \(reason)"
            case .malformedResponse(let reason): return "malformed response: \(reason)"
            case .tls(let reason): return reason
            }
        }
    }

    static let maxResponseBytes = 1 << 20
    let pollInterval: Duration = .milliseconds(2)

    public init() {}

    /// The Host header a request to `host:port` carries: the port only when it is not the
    /// scheme's default (RFC 9110 7.2), as browsers and curl send it. Signature schemes that sign
    /// the host (Tencent Cloud's TC3) must sign exactly this.
    public static func hostHeader(host: String, port: Int, tls: Bool) -> String {
        port == (tls ? 443 : 80) ? host : "\(host):\(port)"
    }

    /// POSTs `body`; over TLS when `tls` says whom to trust (nil: plain http).
    public func post(host: String, port: Int, path: String, headers: [(String, String)], body: [UInt8],
                     timeout: Duration, tls: TLSTrust? = nil) async throws(Failure) -> Response {
        let deadline = ContinuousClock.now + timeout
        let address: SocketAddress
        do { address = try SocketAddress.resolve(host: host, port: port) } catch { throw .connect("\(error)") }
        let socket: TCPSocket
        do { socket = try TCPSocket.connect(to: address) } catch { throw .connect("\(error)") }
        defer { socket.close() }

        var request = "POST \(path) HTTP/1.1\r\nHost: \(Self.hostHeader(host: host, port: port, tls: tls != nil))\r\nConnection: close\r\n"
        request += "Content-Length: \(body.count)\r\n"
        for (name, value) in headers { request += "\(name): \(value)\r\n" }
        request += "\r\n"
        let bytes = Array(request.utf8) + body
        guard let tls else {
            try await write(bytes, to: socket, deadline: deadline)
            return try Self.parse(try await readUntilClosed(socket, deadline: deadline))
        }
        let session: TLSClientSession
        do { session = try TLSClientSession(serverName: host, trust: tls) } catch { throw .tls(error.description) }
        try await handshake(session, over: socket, deadline: deadline)
        do { try session.write(bytes) } catch { throw .tls(error.description) }
        try await write(session.takeOutgoing(), to: socket, deadline: deadline)
        return try Self.parse(try await readUntilClosed(session, over: socket, deadline: deadline))
    }

    private func handshake(_ session: TLSClientSession, over socket: TCPSocket,
                           deadline: ContinuousClock.Instant) async throws(Failure) {
        while true {
            let progress: TLSClientSession.Progress
            do { progress = try session.handshake() } catch { throw .tls(error.description) }
            try await write(session.takeOutgoing(), to: socket, deadline: deadline)
            switch progress {
            case .done: return
            case .closed: throw .tls("the server closed the connection during the TLS handshake")
            case .needsInput:
                guard try await receive(into: session, from: socket, deadline: deadline) else {
                    throw .tls("the server closed the connection during the TLS handshake")
                }
            }
        }
    }

    /// Reads one batch of ciphertext into `session`; false when the server closed the socket.
    private func receive(into session: TLSClientSession, from socket: TCPSocket,
                         deadline: ContinuousClock.Instant) async throws(Failure) -> Bool {
        var buffer = [UInt8](repeating: 0, count: 16 * 1024)
        while true {
            if let error = socket.connectResult() { throw .connect("\(error)") }
            switch socket.read(into: &buffer) {
            case .bytes(let count):
                do { try session.receive(buffer[0..<count]) } catch { throw .tls(error.description) }
                return true
            case .closed: return false
            case .wouldBlock: try await pause(until: deadline)
            case .failed(let code): throw .io("read errno \(code)")
            }
        }
    }

    /// The decrypted response, until the server closes (TLS close_notify or the socket) or a
    /// Content-Length response is complete.
    private func readUntilClosed(_ session: TLSClientSession, over socket: TCPSocket,
                                 deadline: ContinuousClock.Instant) async throws(Failure) -> [UInt8] {
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 16 * 1024)
        while true {
            while true {
                let (progress, count): (TLSClientSession.Progress, Int)
                do { (progress, count) = try session.read(into: &buffer) } catch { throw .tls(error.description) }
                if count > 0 {
                    received += buffer[0..<count]
                    if received.count > Self.maxResponseBytes { throw .malformedResponse("response too large") }
                    continue
                }
                if progress == .closed { return received }
                break
            }
            if let complete = Self.completeLength(received), received.count >= complete { return received }
            try await write(session.takeOutgoing(), to: socket, deadline: deadline)
            guard try await receive(into: session, from: socket, deadline: deadline) else { return received }
        }
    }

    private func write(_ bytes: [UInt8], to socket: TCPSocket, deadline: ContinuousClock.Instant) async throws(Failure) {
        var offset = 0
        while offset < bytes.count {
            if let error = socket.connectResult() { throw .connect("\(error)") }
            switch socket.write(bytes, from: offset) {
            case .wrote(let count): offset += count
            case .wouldBlock: try await pause(until: deadline)
            case .failed(let code): throw offset == 0 ? .connect("errno \(code)") : .io("write errno \(code)")
            }
        }
    }

    private func readUntilClosed(_ socket: TCPSocket, deadline: ContinuousClock.Instant) async throws(Failure) -> [UInt8] {
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 16 * 1024)
        while true {
            switch socket.read(into: &buffer) {
            case .bytes(let count):
                received += buffer[0..<count]
                if received.count > Self.maxResponseBytes { throw .malformedResponse("response too large") }
                // A complete Content-Length response need not wait for the close.
                if let complete = Self.completeLength(received), received.count >= complete { return received }
            case .closed: return received
            case .wouldBlock: try await pause(until: deadline)
            case .failed(let code): throw .io("read errno \(code)")
            }
        }
    }

    private func pause(until deadline: ContinuousClock.Instant) async throws(Failure) {
        guard ContinuousClock.now < deadline else { throw .timeout }
        do { try await Task.sleep(for: pollInterval) } catch { throw .io("cancelled") }
    }

    /// Total length of a response whose head is complete and has Content-Length, else nil.
    static func completeLength(_ bytes: [UInt8]) -> Int? {
        guard let end = headEnd(bytes) else { return nil }
        let head = String(decoding: bytes[0..<end], as: UTF8.self)
        for line in head.split(separator: "\r\n").dropFirst() {
            let parts = line.split(separator: ":", maxSplits: 1)
            if parts.count == 2, parts[0].lowercased() == "content-length",
               let length = Int(parts[1].trimmingSpaces()) {
                return end + 4 + length
            }
        }
        return nil
    }

    static func headEnd(_ bytes: [UInt8]) -> Int? {
        guard bytes.count >= 4 else { return nil }
        for index in 0...(bytes.count - 4)
        where bytes[index] == 13 && bytes[index + 1] == 10 && bytes[index + 2] == 13 && bytes[index + 3] == 10 {
            return index
        }
        return nil
    }

    static func parse(_ raw: [UInt8]) throws(Failure) -> Response {
        guard let end = headEnd(raw) else { throw .malformedResponse("no complete header (\(raw.count) bytes)") }
        let head = String(decoding: raw[0..<end], as: UTF8.self)
        var lines = head.split(separator: "\r\n", omittingEmptySubsequences: false)
        guard !lines.isEmpty else { throw .malformedResponse("empty head") }
        let statusLine = lines.removeFirst().split(separator: " ", maxSplits: 2)
        guard statusLine.count >= 2, statusLine[0].hasPrefix("HTTP/1."), let status = Int(statusLine[1]) else {
            throw .malformedResponse("bad status line")
        }
        var headers: [(String, String)] = []
        var contentLength: Int?
        for line in lines {
            let parts = line.split(separator: ":", maxSplits: 1)
            guard parts.count == 2 else { continue }
            let name = parts[0].lowercased()
            let value = parts[1].trimmingSpaces()
            headers.append((name, value))
            if name == "content-length" { contentLength = Int(value) }
            if name == "transfer-encoding" && value.lowercased() != "identity" {
                throw .malformedResponse("transfer-encoding \(value) is not supported")
            }
        }
        var body = Array(raw[(end + 4)...])
        if let contentLength {
            guard body.count >= contentLength else { throw .malformedResponse("body shorter than Content-Length") }
            body = Array(body.prefix(contentLength))
        }
        return Response(status: status, headers: headers, body: body)
    }
}

extension Substring {
    /// Without leading and trailing spaces (header values and fields).
    func trimmingSpaces() -> String {
        var view = self
        while view.first == " " { view = view.dropFirst() }
        while view.last == " " { view = view.dropLast() }
        return String(view)
    }
}
