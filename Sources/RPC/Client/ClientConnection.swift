import HTTP2
import NetIO

/// One HTTP/2 connection of a channel and the calls multiplexed on it.
final class ClientConnection: HTTP2ConnectionDelegate {
    let transport: HTTP2Connection
    let loop: EventLoop
    private let authority: String
    private var streams: [Int32: ClientStream] = [:]
    private(set) var goingAway = false
    var onClose: ((ClientConnection) -> Void)?

    init(socket: TCPSocket, loop: EventLoop, readBuffer: ReadBuffer, authority: String, settings: HTTP2Settings) throws {
        self.loop = loop
        self.authority = authority
        let session = try HTTP2Session(role: .client, settings: settings)
        transport = HTTP2Connection(socket: socket, session: session, loop: loop, readBuffer: readBuffer)
        transport.delegate = self
        transport.hasActiveStreams = { [unowned self] in !streams.isEmpty }
    }

    var session: HTTP2Session { transport.session }
    var isUsable: Bool { !goingAway && !transport.isClosed }

    func start() throws { try transport.register() }

    func requestFlush() { transport.requestFlush() }

    /// The fields every request of a method sends, by path: built once, then each request
    /// copies them into a list reserved at its full size (built field by field, the list grew
    /// and reallocated about ten times per call). Bounded: a channel calls a few methods.
    private var requestPrefixes: [String: HTTP2HeaderList] = [:]
    private static let maxRequestPrefixes = 64
    /// The last path's prefix: a relay's batch calls one method again and again, and hashing
    /// the path per call showed in profiles (a String comparison is a memcmp).
    private var lastRequestPrefix: (path: String, headers: HTTP2HeaderList)?
    /// The base64 texts of binary metadata sent lately (a relay's signed actor, encoded once).
    private var binaryEncodings = Base64Encodings()

    private func requestPrefix(path: String) -> HTTP2HeaderList {
        if let last = lastRequestPrefix, last.path == path { return last.headers }
        let headers = prefixFromTable(path: path)
        lastRequestPrefix = (path, headers)
        return headers
    }

    private func prefixFromTable(path: String) -> HTTP2HeaderList {
        if let known = requestPrefixes[path] { return known }
        var headers = HTTP2HeaderList()
        headers.add(":method", "POST")
        headers.add(":scheme", "http")
        headers.add(":path", path)
        headers.add(":authority", authority)
        headers.add("content-type", "application/grpc")
        headers.add("te", "trailers")
        headers.add("user-agent", "xsc-grpc-swift/1")
        if requestPrefixes.count >= Self.maxRequestPrefixes { requestPrefixes.removeAll() }
        requestPrefixes[path] = headers
        return headers
    }

    /// Opens the call's stream and sends what it has queued.
    func open(_ stream: ClientStream) {
        var headers = requestPrefix(path: stream.path)
        let metadata = stream.options.metadata
        // "grpc-timeout" and its value (at most 8 digits and a unit) is 21 bytes.
        headers.reserveCapacity(bytes: headers.byteCount + 21 + MetadataCodec.encodedSize(metadata),
                                fields: headers.count + 1 + metadata.count)
        if let deadline = stream.deadline {
            let remaining = deadline.nanoseconds > MonotonicTime.now().nanoseconds
                ? deadline.nanoseconds - MonotonicTime.now().nanoseconds : 1
            headers.add("grpc-timeout") { GRPCTimeout.write(nanoseconds: remaining, to: &$0) }
        }
        MetadataCodec.append(metadata, to: &headers, encodings: &binaryEncodings)
        do {
            let streamID = try session.submitRequest(headers: headers)
            streams[streamID] = stream
            stream.opened(streamID: streamID, on: self)
        } catch {
            stream.fail(RPCError(code: .unavailable, message: "could not open a stream: \(error)"))
        }
    }

    func streamFinished(_ stream: ClientStream) {
        if let streamID = stream.streamID { streams[streamID] = nil }
        if goingAway && streams.isEmpty { transport.closeWhenIdle = true; transport.requestFlush() }
    }

    func processEvents(_ connection: HTTP2Connection) {
        for event in session.events {
            switch event {
            case .headers(let streamID, let block, let endStream):
                streams[streamID]?.receiveHeaders(block, endStream: endStream)
            case .data(let streamID, let range):
                streams[streamID]?.receiveData(session.receivedData[range])
            case .endStream:
                break  // a response ends with trailers; a bare END_STREAM shows at stream close
            case .streamClosed(let streamID, let errorCode):
                streams.removeValue(forKey: streamID)?.streamClosed(errorCode: errorCode)
            case .goaway:
                goingAway = true
                transport.closeWhenIdle = true
            case .ping, .pingAck:
                break
            }
        }
        session.clearEvents()
    }

    private var drainWaiters: [ClientStream] = []

    func awaitDrain(_ stream: ClientStream) {
        drainWaiters.append(stream)
        transport.requestFlush()
    }

    func outputDrained(_ connection: HTTP2Connection) {
        guard !drainWaiters.isEmpty else { return }
        // Senders still waiting are blocked by the peer's flow-control window: the next
        // WINDOW_UPDATE read triggers a flush, which calls this again.
        drainWaiters.removeAll { $0.resumeIfDrained() }
    }

    func connectionClosed(_ connection: HTTP2Connection) {
        let open = streams.values
        streams.removeAll()
        for stream in open {
            stream.fail(RPCError(code: .unavailable, message: "the connection to \(authority) was lost"))
        }
        onClose?(self)
    }

    func close() { transport.close() }
}

/// Waits for a non-blocking connect to finish (the socket becomes writable).
final class Connector: IOHandler {
    let socket: TCPSocket
    let loop: EventLoop
    private let completion: (Result<TCPSocket, NetIOError>) -> Void
    private var done = false

    init(socket: TCPSocket, loop: EventLoop, completion: @escaping (Result<TCPSocket, NetIOError>) -> Void) {
        self.socket = socket
        self.loop = loop
        self.completion = completion
    }

    func start() throws { try loop.register(fd: socket.fd, handler: self, readable: false, writable: true) }

    func handleIO(readable: Bool, writable: Bool, hangup: Bool) {
        guard !done else { return }
        done = true
        loop.deregister(fd: socket.fd)
        if let error = socket.connectResult() {
            socket.close()
            completion(.failure(error))
        } else {
            completion(.success(socket))
        }
    }

    func abandon() {
        guard !done else { return }
        done = true
        loop.deregister(fd: socket.fd)
        socket.close()
    }
}
