import HTTP2
import NetIO

/// One client connection: socket I/O, the HTTP/2 session, and the calls on it. Reads are fed
/// to nghttp2 as they arrive; everything produced during a loop iteration is written once at
/// its end.
final class ServerConnection: IOHandler, TickHandler {
    let socket: TCPSocket
    let session: HTTP2Session
    let loop: EventLoop
    let resources: ServerLoopResources
    private let configuration: RPCServer.Configuration
    private let router: MethodRouter
    private var calls: [Int32: ServerCall] = [:]
    private var writeBuffer: [UInt8] = []
    private var writeOffset = 0
    private var flushRequested = false
    private var wantsWritable = false
    private var drainWaiters: [ServerCall] = []
    private(set) var isClosed = false
    private var glitches = 0
    private var draining = false
    var onClose: ((ServerConnection) -> Void)?

    init(socket: TCPSocket, resources: ServerLoopResources, configuration: RPCServer.Configuration,
         router: MethodRouter) throws {
        self.socket = socket
        self.resources = resources
        self.loop = resources.loop
        self.configuration = configuration
        self.router = router
        self.session = try HTTP2Session(role: .server, settings: configuration.http2)
    }

    var activeCallCount: Int { calls.count }

    func start() throws {
        try loop.register(fd: socket.fd, handler: self)
        requestFlush()
    }

    // MARK: I/O

    func handleIO(readable: Bool, writable: Bool, hangup: Bool) {
        if readable { readAvailable() }
        if writable && !isClosed { flush() }
        if hangup && !readable && !isClosed { close() }
    }

    private func readAvailable() {
        // Bounded so one busy connection cannot starve the others on this loop.
        for _ in 0..<8 {
            guard !isClosed else { return }
            switch socket.read(into: &resources.readBuffer) {
            case .bytes(let count):
                do {
                    try session.receive(resources.readBuffer[0..<count])
                } catch {
                    processEvents()
                    glitches += 1
                    requestFlush()
                    draining = true
                    return
                }
                processEvents()
                if session.protocolErrorCount + glitches > configuration.maxGlitchesPerConnection {
                    session.submitGoaway(errorCode: HTTP2ErrorCode.enhanceYourCalm, debugMessage: "too many protocol errors")
                    draining = true
                }
                requestFlush()
                if count < resources.readBuffer.count { return }
            case .wouldBlock:
                return
            case .closed, .failed:
                close()
                return
            }
        }
    }

    func requestFlush() {
        guard !flushRequested, !isClosed else { return }
        flushRequested = true
        loop.requestTickEnd(self)
    }

    func tickEnded() {
        flushRequested = false
        flush()
    }

    private func flush() {
        guard !isClosed else { return }
        do {
            try session.send(into: &writeBuffer)
        } catch {
            close()
            return
        }
        // Sending the last frame of a stream closes it: take those events now.
        if !session.events.isEmpty { processEvents() }
        while writeOffset < writeBuffer.count {
            switch socket.write(writeBuffer, from: writeOffset) {
            case .wrote(let count):
                writeOffset += count
            case .wouldBlock:
                setWritableInterest(true)
                return
            case .failed:
                close()
                return
            }
        }
        writeBuffer.removeAll(keepingCapacity: writeBuffer.capacity <= 1 << 20)
        writeOffset = 0
        setWritableInterest(false)
        wakeDrainedSenders()
        if !session.wantsRead && !session.wantsWrite { close() }
        else if draining && calls.isEmpty && !session.wantsWrite { close() }
    }

    private func setWritableInterest(_ wanted: Bool) {
        guard wanted != wantsWritable else { return }
        wantsWritable = wanted
        loop.modify(fd: socket.fd, readable: true, writable: wanted)
    }

    func awaitDrain(_ call: ServerCall) {
        drainWaiters.append(call)
        requestFlush()
    }

    private func wakeDrainedSenders() {
        guard !drainWaiters.isEmpty else { return }
        drainWaiters.removeAll { $0.resumeIfDrained() }
        // nghttp2 pulls more data on the next send; make sure there is one.
        if !drainWaiters.isEmpty { requestFlush() }
    }

    // MARK: Events

    private func processEvents() {
        for event in session.events {
            switch event {
            case .headers(let streamID, let block, let endStream):
                openCall(streamID: streamID, block: block, endStream: endStream)
            case .data(let streamID, let range):
                calls[streamID]?.receiveData(session.receivedData[range])
            case .endStream(let streamID):
                endOfStream(streamID)
            case .streamClosed(let streamID, _):
                calls.removeValue(forKey: streamID)?.abort()
            case .goaway:
                draining = true
            case .pingAck:
                break
            }
        }
        session.clearEvents()
    }

    private func endOfStream(_ streamID: Int32) {
        guard let call = calls[streamID] else { return }
        call.receiveEndOfStream()
        if call.startsAtEndOfStream && !call.finished { startHandler(call) }
    }

    private func openCall(streamID: Int32, block: HTTP2HeaderBlock, endStream: Bool) {
        // Trailers from a client, or headers for a stream we already refused: ignore.
        guard calls[streamID] == nil else { return }
        let head: RequestHead
        switch RequestHead.parse(block) {
        case .success(let parsed):
            head = parsed
        case .failure(let rejection):
            glitches += 1
            refuse(streamID: streamID, rejection)
            return
        }
        guard let method = router.method(for: head.path) else {
            refuse(streamID: streamID, RequestHead.Rejection(code: .unimplemented, message: "method not found: \(head.path)"))
            return
        }
        let deadline = head.timeoutNanoseconds.map { MonotonicTime.now().adding(nanoseconds: $0) }
        let context = ServerContext(path: head.path, requestMetadata: head.metadata, deadline: deadline,
                                    peer: socket.peer?.description ?? "unknown")
        let call = ServerCall(streamID: streamID, method: method, context: context, connection: self,
                              maxMessageSize: configuration.maxReceiveMessageSize)
        calls[streamID] = call
        if let deadline {
            call.deadlineTimer = loop.schedule(at: deadline) { [weak call] in call?.deadlineExpired() }
        }
        if endStream {
            call.receiveEndOfStream()
        }
        if !call.startsAtEndOfStream || endStream { startHandler(call) }
    }

    private func startHandler(_ call: ServerCall) {
        guard call.task == nil, !call.finished else { return }
        let method = call.method
        call.task = Task(executorPreference: loop) {
            await method.run(call)
        }
    }

    private func refuse(streamID: Int32, _ rejection: RequestHead.Rejection) {
        var headers = HTTP2HeaderList()
        headers.add(":status", rejection.httpStatus)
        headers.add("content-type", "application/grpc")
        headers.add("grpc-status", String(rejection.code.rawValue))
        headers.add("grpc-message", PercentEncoding.encode(rejection.message))
        for (name, value) in rejection.extraHeaders { headers.add(name, value) }
        try? session.submitResponse(streamID: streamID, headers: headers, hasBody: false)
        requestFlush()
    }

    // MARK: Shutdown

    /// First phase of a graceful shutdown: tell the client to stop opening streams.
    func beginShutdown() {
        session.submitShutdownNotice()
        requestFlush()
    }

    /// Second phase: the final GOAWAY; the connection closes once its calls are done.
    func finishShutdown() {
        session.submitGoaway(errorCode: HTTP2ErrorCode.noError)
        draining = true
        requestFlush()
    }

    func close() {
        guard !isClosed else { return }
        isClosed = true
        for call in calls.values { call.abort() }
        calls.removeAll()
        for waiter in drainWaiters { _ = waiter.resumeIfDrained() }
        drainWaiters.removeAll()
        loop.deregister(fd: socket.fd)
        socket.close()
        onClose?(self)
    }
}
