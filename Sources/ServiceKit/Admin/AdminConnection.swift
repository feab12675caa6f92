import NetIO

/// One admin client connection, driven by the admin loop (every method runs on its thread).
///
/// Requests are answered in order, pipelined or not. A request with a body, a malformed one,
/// or one over the size limits is answered and the connection closed. A connection that does
/// not complete a request within `requestTimeout` of opening (or of its previous response) is
/// closed, so slow or silent clients cannot pin connections.
final class AdminConnection: IOHandler {
    private let socket: TCPSocket
    private let loop: EventLoop
    private let routes: AdminRoutes
    private let parser: HTTPRequestParser
    private let requestTimeout: Duration
    private let onClose: (AdminConnection) -> Void

    private var inbound: [UInt8] = []
    private var readBuffer = [UInt8](repeating: 0, count: 4096)
    private var outbound: [UInt8] = []
    private var outboundOffset = 0
    private var closeAfterWrite = false
    private var waitingForWritable = false
    /// After the last answer: our side is shut, and what the client still sends is discarded
    /// until it closes, so unread input never turns our close into a reset that destroys the
    /// answer in flight (the "lingering close" of HTTP servers).
    private var draining = false
    private var drainedBytes = 0
    private static let maxDrainedBytes = 64 * 1024
    private var timer: TimerID?
    private(set) var isClosed = false

    var fd: Int32 { socket.fd }

    init(socket: TCPSocket, loop: EventLoop, routes: AdminRoutes, parser: HTTPRequestParser,
         requestTimeout: Duration, onClose: @escaping (AdminConnection) -> Void) {
        self.socket = socket
        self.loop = loop
        self.routes = routes
        self.parser = parser
        self.requestTimeout = requestTimeout
        self.onClose = onClose
    }

    func start() throws(NetIOError) {
        try loop.register(fd: socket.fd, handler: self, readable: true, writable: false)
        armTimer()
    }

    func handleIO(readable: Bool, writable: Bool, hangup: Bool) {
        if writable {
            flush()
            answerBufferedRequests()
        }
        if readable || hangup { readAvailable() }
    }

    private func readAvailable() {
        if draining {
            discardInput()
            return
        }
        var peerClosed = false
        reading: while !isClosed {
            switch socket.read(into: &readBuffer) {
            case .bytes(let count):
                inbound.append(contentsOf: readBuffer[0..<count])
                // Never buffer much more than one head: the parser refuses larger ones anyway.
                if inbound.count > parser.maxHeadBytes + readBuffer.count { break reading }
            case .wouldBlock:
                break reading
            case .closed:
                peerClosed = true
                break reading
            case .failed:
                close()
                return
            }
        }
        answerBufferedRequests()
        if peerClosed && !isClosed {
            // The client sent all it will: finish answering what it asked, then close. If the
            // answer cannot be written at once, close anyway rather than poll a half-closed socket.
            closeAfterWrite = true
            flush()
            if !isClosed { close() }
        }
    }

    /// Answers complete requests while nothing is waiting to be written (simple back-pressure:
    /// a client that does not read its answers gets no more of them).
    private func answerBufferedRequests() {
        while !isClosed && !closeAfterWrite && outboundOffset == outbound.count {
            switch parser.parse(inbound) {
            case .incomplete:
                return
            case .invalid(let status):
                inbound.removeAll()
                send(HTTPResponse.error(status), keepAlive: false)
            case .complete(let head, let consumed):
                inbound.removeFirst(consumed)
                let keepAlive = head.wantsKeepAlive && !head.announcesBody
                send(routes.respond(to: head), keepAlive: keepAlive)
            }
        }
    }

    private func send(_ response: HTTPResponse, keepAlive: Bool) {
        outbound = response.serialized(keepAlive: keepAlive)
        outboundOffset = 0
        closeAfterWrite = !keepAlive
        armTimer()
        flush()
    }

    private func flush() {
        while !isClosed && outboundOffset < outbound.count {
            switch socket.write(outbound, from: outboundOffset) {
            case .wrote(let count):
                outboundOffset += count
            case .wouldBlock:
                // Stop reading until the client takes its answer; hang-ups are still reported.
                if !waitingForWritable {
                    waitingForWritable = true
                    loop.modify(fd: socket.fd, readable: false, writable: true)
                }
                return
            case .failed:
                close()
                return
            }
        }
        guard !isClosed else { return }
        outbound.removeAll(keepingCapacity: true)
        outboundOffset = 0
        if closeAfterWrite {
            beginLingeringClose()
            return
        }
        if waitingForWritable {
            waitingForWritable = false
            loop.modify(fd: socket.fd, readable: true, writable: false)
        }
    }

    private func beginLingeringClose() {
        draining = true
        socket.shutdownWrite()
        if waitingForWritable {
            waitingForWritable = false
            loop.modify(fd: socket.fd, readable: true, writable: false)
        }
        discardInput()
    }

    /// Ends with the client's close, too much input, or the request timer.
    private func discardInput() {
        while !isClosed {
            switch socket.read(into: &readBuffer) {
            case .bytes(let count):
                drainedBytes += count
                if drainedBytes > AdminConnection.maxDrainedBytes { close() }
            case .wouldBlock:
                return
            case .closed, .failed:
                close()
            }
        }
    }

    private func armTimer() {
        if let timer { loop.cancelTimer(timer) }
        timer = loop.schedule(at: MonotonicTime.now().adding(requestTimeout)) { [weak self] in
            self?.timer = nil
            self?.close()
        }
    }

    func close() {
        guard !isClosed else { return }
        isClosed = true
        if let timer { loop.cancelTimer(timer) }
        timer = nil
        loop.deregister(fd: socket.fd)
        socket.close()
        onClose(self)
    }
}
