import HTTP2
import NetIO

/// The hook that lets plain HTTP requests share the gRPC port over HTTP/2: a stream whose
/// content-type is not `application/grpc` goes to `RPCServer.Configuration.plainHTTP` (when
/// set) instead of being refused with 415. Everything else of the connection (flow control,
/// limits, glitch counting, shutdown) stays as for gRPC calls.
extension ServerConnection {
    /// True when the stream should be handed to the plain HTTP handler.
    /// A gRPC method path (`/pkg.Service/Method`) with a wrong content-type is still refused as
    /// gRPC (415), so gRPC clients keep their diagnostics; plain paths (`/v1/orders`,
    /// `/openapi.json`) have no package in their first segment or not two segments.
    func isPlainHTTP(_ block: HTTP2HeaderBlock) -> Bool {
        guard configuration.plainHTTP != nil else { return false }
        if let contentType = block.value(named: "content-type"), contentType.starts(with: Array("application/grpc".utf8)) {
            return false
        }
        guard let path = block.value(named: ":path") else { return false }
        let segments = path.split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: false)
        let looksLikeGRPC = segments.count == 3 && segments[0].isEmpty && segments[1].contains(UInt8(ascii: "."))
            && !segments[2].isEmpty && !segments[2].contains(UInt8(ascii: "?"))
        return !looksLikeGRPC
    }

    func openPlainHTTP(streamID: Int32, block: HTTP2HeaderBlock, endStream: Bool) {
        guard let handler = configuration.plainHTTP else { return }
        // Counted with the gRPC calls: past maxCallsInFlight a JSON request is refused too.
        guard admission.admitCall() == nil else {
            let refusal = Array("{\"code\":8,\"message\":\"the server is busy; retry shortly\"}".utf8)
            var headers = HTTP2HeaderList()
            headers.add(":status", "429")
            headers.add("content-type", "application/json")
            headers.add("retry-after", "1")
            headers.add("content-length", String(refusal.count))
            try? session.submitResponse(streamID: streamID, headers: headers, hasBody: true)
            session.appendData(streamID: streamID, refusal)
            session.finish(streamID: streamID, trailers: nil)
            requestFlush()
            return
        }
        var method = "", path = ""
        var headers: [(name: String, value: String)] = []
        for index in 0..<block.count {
            let name = String(decoding: block.name(at: index), as: UTF8.self)
            let value = String(decoding: block.value(at: index), as: UTF8.self)
            switch name {
            case ":method": method = value
            case ":path": path = value
            case ":authority": headers.append(("host", value))
            default: if !block.isPseudoHeader(at: index) { headers.append((name, value)) }
            }
        }
        let stream = PlainHTTP2Stream(streamID: streamID, connection: self, handler: handler,
                                      request: PlainHTTPRequest(method: method, target: path, headers: headers, body: [],
                                                                protocolName: "HTTP/2", peer: peerDescription, tls: tls),
                                      maxBodyBytes: configuration.plainHTTPLimits.maxBodyBytes)
        stream.onEnded = { [admission] in admission.callEnded() }
        plainStreams[streamID] = stream
        if endStream { stream.receiveEnd() }
    }
}

/// One plain HTTP request/response on an HTTP/2 stream. Loop thread only (the handler task
/// runs on the connection's loop, like a gRPC handler).
final class PlainHTTP2Stream: PlainHTTPResponder, @unchecked Sendable {
    let streamID: Int32
    private weak var connection: ServerConnection?
    private let handler: PlainHTTPHandler
    private var request: PlainHTTPRequest
    private let maxBodyBytes: Int
    private var started = false
    private var headersSent = false
    private(set) var closed = false
    private var task: Task<Void, Never>?
    /// Called once when the exchange is over (answered, reset or its connection gone).
    var onEnded: (() -> Void)?

    init(streamID: Int32, connection: ServerConnection, handler: @escaping PlainHTTPHandler, request: PlainHTTPRequest,
         maxBodyBytes: Int) {
        self.streamID = streamID
        self.connection = connection
        self.handler = handler
        self.request = request
        self.maxBodyBytes = maxBodyBytes
    }

    func receiveData(_ bytes: ArraySlice<UInt8>) {
        guard !started, !closed, request.body.count + bytes.count <= maxBodyBytes else {
            // Bytes nobody will read: straight back to the client's windows.
            connection?.consumeInbound(streamID: streamID, bytes.count)
            if !started && !closed { refuseTooLarge() }
            return
        }
        // Held against the client's windows until the exchange ends, as a gRPC call's bytes
        // are until its handler reads them: a connection's streams together can make the
        // server hold no more than the connection window, whatever their count.
        unconsumed += bytes.count
        request.body += bytes
    }

    private var unconsumed = 0

    private func refuseTooLarge() {
        started = true
        let message = Array("{\"code\":3,\"message\":\"the request body is larger than \(maxBodyBytes) bytes\"}".utf8)
        submit(PlainHTTPResponseHead(status: 413, headers: [("content-type", "application/json")]), body: message, end: true)
        request.body = []
        releaseWindow()
    }

    /// Gives the held body bytes back (nghttp2 credits the connection even once the stream is gone).
    private func releaseWindow() {
        guard unconsumed > 0 else { return }
        connection?.consumeInbound(streamID: streamID, unconsumed)
        unconsumed = 0
    }

    func receiveEnd() {
        guard !started, !closed, let connection else { return }
        started = true
        let request = self.request
        let handler = self.handler
        task = Task(executorPreference: connection.loop) { [self] in
            await handler(request, self)
            await finish()
        }
    }

    /// The client reset the stream or the connection ended.
    func abort() {
        closed = true
        task?.cancel()
        end()
    }

    private func end() {
        releaseWindow()
        let ended = onEnded
        onEnded = nil
        ended?()
    }

    private func submit(_ head: PlainHTTPResponseHead, body: [UInt8]?, end: Bool) {
        guard let connection, !closed, !headersSent else { return }
        headersSent = true
        var headers = HTTP2HeaderList()
        headers.add(":status", String(head.status))
        for (name, value) in head.headers where name != "content-length" && name != "connection" && name != "transfer-encoding" {
            headers.add(name, value)
        }
        if let body, end { headers.add("content-length", String(body.count)) }
        do {
            try connection.session.submitResponse(streamID: streamID, headers: headers, hasBody: true)
        } catch {
            connection.session.resetStream(streamID: streamID, errorCode: HTTP2ErrorCode.internalError)
            closed = true
            return
        }
        if let body, !body.isEmpty { connection.session.appendData(streamID: streamID, body) }
        if end { connection.session.finish(streamID: streamID, trailers: nil) }
        connection.requestFlush()
    }

    // MARK: PlainHTTPResponder

    func respond(_ head: PlainHTTPResponseHead, body: [UInt8]) async {
        submit(head, body: body, end: true)
    }

    func startStream(_ head: PlainHTTPResponseHead) async throws {
        guard !closed else { throw PlainHTTPClientGone() }
        submit(head, body: nil, end: false)
    }

    func send(_ bytes: [UInt8]) async throws {
        guard let connection, !closed, headersSent, !Task.isCancelled else { throw PlainHTTPClientGone() }
        connection.session.appendData(streamID: streamID, bytes)
        connection.requestFlush()
        // Send-side backpressure: a client that does not read (closed window) makes the feed
        // wait here instead of queueing without bound. Checked on a short timer rather than
        // through the connection's drain waiters, which are the gRPC calls' own.
        while !closed, !Task.isCancelled, connection.session.pendingBytes(streamID: streamID) > connection.resources.highWaterMark {
            try? await Task.sleep(for: .milliseconds(20))
        }
        if closed || connection.isClosed || connection.isShuttingDown { throw PlainHTTPClientGone() }
    }

    func finish() async {
        guard let connection, !closed else { return }
        if !headersSent {
            submit(PlainHTTPResponseHead(status: 500), body: [], end: true)
            closed = true
            end()
            return
        }
        connection.session.finish(streamID: streamID, trailers: nil)
        connection.requestFlush()
        closed = true
        end()
    }

    var isClosed: Bool {
        get async { closed || connection == nil || connection!.isClosed || connection!.isShuttingDown }
    }
}
