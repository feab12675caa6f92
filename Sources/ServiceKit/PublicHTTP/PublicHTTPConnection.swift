import NetIO
import RPC

/// One HTTP/1.1 client connection of the public listener, on its loop thread (every method,
/// including the responder's, runs there: handler tasks prefer the loop as executor).
///
/// One request at a time: while a request is being answered, further (pipelined) bytes wait
/// in the buffer, bounded by the head limit. Timers: a request must arrive completely within
/// `requestTimeout` of the connection opening or of the previous answer (slowloris); a
/// response in progress has no timer of its own (the handler's backend calls carry deadlines,
/// and a feed is meant to stay open). Responses are written with Content-Length, or chunked
/// for streams; any framing doubt closes the connection.
final class PublicHTTPConnection: IOHandler, PlainHTTPResponder, @unchecked Sendable {
    private let stream: ByteStream
    private let loop: EventLoop
    private let reader: HTTP1RequestReader
    private let handler: PlainHTTPHandler
    private let configuration: PublicHTTPListener.Configuration
    private let onClose: (PublicHTTPConnection) -> Void
    /// The TLS under the connection (an `http/1.1` connection of the TLS listener); nil for plain TCP.
    private let tls: TLSConnectionInfo?

    private var inbound: [UInt8] = []
    private var readBuffer = [UInt8](repeating: 0, count: 16 * 1024)
    private var outbound: [UInt8] = []
    private var outboundOffset = 0
    private var waitingForWritable = false
    private var timer: TimerID?
    private var requestsServed = 0
    private var sentContinue = false

    /// The request being answered, if any.
    private var busy = false
    private var keepAlive = true
    private var headSent = false
    private var streaming = false
    private var isHeadRequest = false
    private var task: Task<Void, Never>?
    private var drainWaiter: CheckedContinuation<Void, Never>?
    private(set) var closed = false
    var shuttingDown = false

    var fd: Int32 { stream.fd }
    var isIdle: Bool { !busy && outboundOffset == outbound.count }

    init(stream: ByteStream, loop: EventLoop, handler: @escaping PlainHTTPHandler,
         configuration: PublicHTTPListener.Configuration, tls: TLSConnectionInfo? = nil,
         onClose: @escaping (PublicHTTPConnection) -> Void) {
        self.stream = stream
        self.tls = tls
        self.loop = loop
        self.handler = handler
        self.configuration = configuration
        var parser = HTTPRequestParser()
        parser.maxHeadBytes = configuration.maxHeadBytes
        parser.maxHeaders = configuration.maxHeaders
        self.reader = HTTP1RequestReader(parser: parser, maxBodyBytes: configuration.maxBodyBytes)
        self.onClose = onClose
    }

    func start() throws(NetIOError) {
        try loop.register(fd: stream.fd, handler: self, readable: true, writable: false)
        armRequestTimer()
        // A TLS stream may hold a request that came with the handshake's end.
        if stream.hasBufferedInput { loop.executeLocal { [weak self] in self?.readAvailable() } }
    }

    func handleIO(readable: Bool, writable: Bool, hangup: Bool) {
        if writable { flush() }
        if readable || hangup { readAvailable() }
    }

    private func readAvailable() {
        while !closed {
            // Never hold more than one request's worth: head + body limits. A client that
            // pipelines more while its request is answered is cut off (reading no further would
            // leave the level-triggered socket readable, and the loop spinning on it).
            if inbound.count > configuration.maxHeadBytes + configuration.maxBodyBytes {
                if busy {
                    close()
                    return
                }
                break
            }
            switch stream.read(into: &readBuffer) {
            case .bytes(let count):
                inbound.append(contentsOf: readBuffer[0..<count])
            case .wouldBlock:
                processInbound()
                return
            case .closed, .failed:
                // The client is gone (or half-closed: HTTP/1.1 clients do not half-close to
                // end a request, and a feed must notice a departed reader).
                close()
                return
            }
        }
        processInbound()
    }

    private func processInbound() {
        guard !closed, !busy else { return }
        switch reader.read(inbound) {
        case .incomplete:
            return
        case .awaitingBody(let expectsContinue):
            if expectsContinue && !sentContinue {
                sentContinue = true
                outbound += Array("HTTP/1.1 100 Continue\r\n\r\n".utf8)
                flush()
            }
        case .invalid(let status, let message):
            inbound.removeAll()
            keepAlive = false
            busy = true
            // Framing is in doubt: nothing more is read from this connection once the answer is out.
            closeAfterFlush = true
            let body = Array("{\"code\":3,\"message\":\"\(message)\"}".utf8)
            write(HTTP1ResponseWriter.head(PlainHTTPResponseHead(status: status, headers: [("content-type", "application/json")]),
                                           contentLength: body.count, keepAlive: false) + body)
        case .request(let head, let body, let consumed):
            inbound.removeFirst(consumed)
            sentContinue = false
            begin(head, body: body)
        }
    }

    private func begin(_ head: HTTPRequestHead, body: [UInt8]) {
        busy = true
        headSent = false
        streaming = false
        requestsServed += 1
        keepAlive = head.wantsKeepAlive && !shuttingDown && requestsServed < configuration.maxRequestsPerConnection
        isHeadRequest = head.method == "HEAD"
        if let timer { loop.cancelTimer(timer) }
        timer = nil
        let request = PlainHTTPRequest(method: isHeadRequest ? "GET" : head.method, target: head.target,
                                       headers: head.headers, body: body, protocolName: "HTTP/1.\(head.minorVersion)",
                                       peer: stream.peerDescription, tls: tls)
        let handler = self.handler
        task = Task(executorPreference: loop) { [self] in
            await handler(request, self)
            await finish()
        }
    }

    /// The answer is complete: the next request, or close.
    private func requestDone() {
        busy = false
        task = nil
        guard !closed else { return }
        if !keepAlive {
            closeAfterFlush = true
            flush()
            return
        }
        armRequestTimer()
        // Input a TLS stream still buffers does not make the socket readable again.
        if stream.hasBufferedInput { readAvailable() } else { processInbound() }
    }

    private var closeAfterFlush = false

    // MARK: Output

    private func write(_ bytes: [UInt8]) {
        guard !closed else { return }
        outbound += bytes
        flush()
    }

    private func flush() {
        // A TLS stream takes all bytes at once but may still hold records for the socket.
        while !closed && (outboundOffset < outbound.count || stream.hasPendingOutput) {
            switch stream.write(outbound, from: outboundOffset) {
            case .wrote(let count):
                outboundOffset += count
            case .wouldBlock:
                if !waitingForWritable {
                    waitingForWritable = true
                    loop.modify(fd: stream.fd, readable: true, writable: true)
                }
                return
            case .failed:
                close()
                return
            }
        }
        guard !closed else { return }
        outbound.removeAll(keepingCapacity: outbound.capacity <= 1 << 20)
        outboundOffset = 0
        if waitingForWritable {
            waitingForWritable = false
            loop.modify(fd: stream.fd, readable: true, writable: false)
        }
        if let waiter = drainWaiter {
            drainWaiter = nil
            waiter.resume()
        }
        if closeAfterFlush {
            stream.shutdownWrite()
            // Lingering close, briefly: unread input must not turn the close into a reset
            // that destroys the answer in flight.
            _ = loop.schedule(at: MonotonicTime.now().adding(.milliseconds(500))) { [weak self] in self?.close() }
            closeAfterFlush = false
            busy = true
        }
    }

    private func armRequestTimer() {
        if let timer { loop.cancelTimer(timer) }
        timer = loop.schedule(at: MonotonicTime.now().adding(configuration.requestTimeout)) { [weak self] in
            guard let self, !self.busy else { return }
            self.timer = nil
            self.close()
        }
    }

    func close() {
        guard !closed else { return }
        closed = true
        if let timer { loop.cancelTimer(timer) }
        timer = nil
        task?.cancel()
        if let waiter = drainWaiter {
            drainWaiter = nil
            waiter.resume()
        }
        loop.deregister(fd: stream.fd)
        stream.close()
        onClose(self)
    }

    // MARK: PlainHTTPResponder

    func respond(_ head: PlainHTTPResponseHead, body: [UInt8]) async {
        guard !closed, !headSent else { return }
        headSent = true
        write(HTTP1ResponseWriter.head(head, contentLength: body.count, keepAlive: keepAlive) + (isHeadRequest ? [] : body))
    }

    func startStream(_ head: PlainHTTPResponseHead) async throws {
        guard !closed, !headSent else { throw PlainHTTPClientGone() }
        headSent = true
        streaming = true
        write(HTTP1ResponseWriter.head(head, contentLength: nil, keepAlive: keepAlive))
    }

    func send(_ bytes: [UInt8]) async throws {
        guard !closed, streaming, !Task.isCancelled else { throw PlainHTTPClientGone() }
        write(HTTP1ResponseWriter.chunk(bytes))
        // A reader that does not keep up makes its own feed wait, not the server's memory grow.
        if outbound.count - outboundOffset > configuration.streamHighWaterMark {
            await withCheckedContinuation { drainWaiter = $0 }
        }
        if closed || shuttingDown { throw PlainHTTPClientGone() }
    }

    func finish() async {
        guard !closed, busy else { return }
        if !headSent {
            await respond(PlainHTTPResponseHead(status: 500, headers: [("content-type", "application/json")]),
                          body: Array("{\"code\":13,\"message\":\"no response\"}".utf8))
        } else if streaming {
            streaming = false
            write(HTTP1ResponseWriter.lastChunk)
        }
        requestDone()
    }

    var isClosed: Bool {
        get async { closed || shuttingDown }
    }
}
