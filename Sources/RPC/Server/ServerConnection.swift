import HTTP2
import NetIO

/// One client connection's calls, on top of the shared HTTP/2 socket I/O. It validates and
/// routes new streams, feeds request bytes to calls and counts glitches (malformed requests,
/// protocol errors) to end abusive connections.
final class ServerConnection: HTTP2ConnectionDelegate {
    let transport: HTTP2Connection
    let loop: EventLoop
    let resources: ServerLoopResources
    let configuration: RPCServer.Configuration
    private let router: MethodRouter
    let admission: AdmissionControl
    private var calls: [Int32: ServerCall] = [:]
    /// Plain HTTP requests on this connection (ServerConnection+PlainHTTP).
    var plainStreams: [Int32: PlainHTTP2Stream] = [:]
    private(set) var isShuttingDown = false
    private var drainWaiters: [ServerCall] = []
    private var glitches: GlitchBudget
    /// Glitches seen since the budget was last charged (charged once per batch of events).
    private var unchargedGlitches = 0
    private var protocolErrorsCharged = 0
    private var emptyFramesCharged = 0
    private var oversizedHeaderBlocksCharged = 0
    /// Glitches an oversized header list costs: a client that keeps sending them (grpcio does not
    /// check our limit before sending, so a broken application may) is ended after about ten,
    /// an HPACK bomb loop after ten blocks instead of a hundred.
    static let oversizedHeaderBlockGlitches = 10
    private var lastRoute: (bytes: [UInt8], path: String, method: RPCMethod)?
    /// Binary metadata values this connection's requests carried and that were valid base64.
    private var validBinaryValues = ValidBase64Texts()
    private var keepalive: KeepaliveState
    private var keepaliveTimer: TimerID?
    var onClose: ((ServerConnection) -> Void)?
    /// Set when a TLS handshake completes (ServerTLS); nil for h2c.
    var tls: TLSConnectionInfo?
    /// What handlers keep per connection (`ServerContext.connectionValues`).
    let connectionValues = ConnectionValues()

    init(socket: any ConnectionStream, resources: ServerLoopResources, configuration: RPCServer.Configuration,
         router: MethodRouter, admission: AdmissionControl) throws {
        self.resources = resources
        self.admission = admission
        self.loop = resources.loop
        self.configuration = configuration
        self.router = router
        self.keepalive = KeepaliveState(policy: configuration.keepalive)
        self.glitches = GlitchBudget(limits: .init(burst: configuration.maxGlitchesPerConnection,
                                                   perSecond: configuration.glitchRefillPerSecond),
                                     now: .now())
        let session = try HTTP2Session(role: .server, settings: configuration.http2)
        self.transport = HTTP2Connection(socket: socket, session: session, loop: resources.loop,
                                         readBuffer: resources.readBuffer)
        transport.delegate = self
        transport.hasActiveStreams = { [unowned self] in !calls.isEmpty || !plainStreams.isEmpty }
        session.peerResetAllowance = glitches.remaining
    }

    var session: HTTP2Session { transport.session }

    /// Formatted once per connection: inet_ntop per call showed up in profiles.
    lazy var peerDescription: String = transport.socket.peer?.description ?? "unknown"
    var isClosed: Bool { transport.isClosed }

    func start() throws {
        try transport.register()
        _ = loop.schedule(at: MonotonicTime.now().adding(configuration.handshakeTimeout)) { [weak self] in
            guard let self, !self.transport.isClosed, !self.session.peerSettingsReceived else { return }
            self.transport.close()
        }
        scheduleKeepaliveCheck(at: keepalive.lastActivity.adding(configuration.keepalive.pingAfterIdle))
    }

    private func scheduleKeepaliveCheck(at time: MonotonicTime) {
        keepaliveTimer = loop.schedule(at: time) { [weak self] in self?.keepaliveCheck() }
    }

    private func keepaliveCheck() {
        keepaliveTimer = nil
        guard !transport.isClosed else { return }
        let now = MonotonicTime.now()
        switch keepalive.check(now: now) {
        case .wait(let until):
            scheduleKeepaliveCheck(at: until)
        case .ping:
            session.submitPing()
            keepalive.pingSent(now: now)
            transport.requestFlush()
            scheduleKeepaliveCheck(at: now.adding(configuration.keepalive.pingTimeout))
        case .close:
            transport.close()
        }
    }

    func requestFlush() { transport.requestFlush() }

    /// Received bytes a call has used (or will never use): back to the client's windows.
    func consumeInbound(streamID: Int32, _ count: Int) {
        session.consume(streamID: streamID, count)
        transport.requestFlush()
    }

    func awaitDrain(_ call: ServerCall) {
        drainWaiters.append(call)
        transport.requestFlush()
    }

    func outputDrained(_ connection: HTTP2Connection) {
        guard !drainWaiters.isEmpty else { return }
        // Senders still waiting are blocked by the peer's flow-control window: the next
        // WINDOW_UPDATE read triggers a flush, which calls this again.
        drainWaiters.removeAll { $0.resumeIfDrained() }
    }

    // MARK: Events

    func processEvents(_ connection: HTTP2Connection) {
        guard !session.isTerminating else {
            session.clearEvents()
            return
        }
        if !session.events.isEmpty { keepalive.sawActivity(now: MonotonicTime.now()) }
        let closedInBatch = StreamResets.closedStreams(in: session.events)
        for event in session.events {
            switch event {
            case .headers(let streamID, let block, let endStream):
                if closedInBatch.contains(streamID) {
                    // Opened and reset in the same read (rapid reset): nothing to serve, no
                    // call is made and no handler starts. A glitch all the same.
                    unchargedGlitches += 1
                    continue
                }
                openCall(streamID: streamID, block: block, endStream: endStream)
            case .data(let streamID, let range):
                if let call = calls[streamID] {
                    call.receiveData(session.receivedData[range])
                } else if let plain = plainStreams[streamID] {
                    plain.receiveData(session.receivedData[range])
                } else {
                    // A stream we refused or already closed: nobody will use the bytes.
                    consumeInbound(streamID: streamID, range.count)
                }
            case .endStream(let streamID):
                endOfStream(streamID)
            case .streamClosed(let streamID, _):
                if let call = calls.removeValue(forKey: streamID) {
                    // The client reset a call we were still serving: its handler is cancelled
                    // now (abort); a premature reset counts against the connection's budget.
                    if !call.finished && GlitchBudget.isPrematureReset(of: call.context, now: .now()) { unchargedGlitches += 1 }
                    call.abort()
                }
                plainStreams.removeValue(forKey: streamID)?.abort()
            case .goaway:
                transport.closeWhenIdle = true
            case .ping:
                if keepalive.clientPinged(now: MonotonicTime.now(), hasCalls: !calls.isEmpty) {
                    session.submitGoaway(errorCode: HTTP2ErrorCode.enhanceYourCalm, debugMessage: "too_many_pings")
                    transport.closeWhenIdle = true
                    // A ping flood is an abuse like a glitch flood: the address cools down.
                    admission.peerClosedForGlitches(transport.socket.peer?.host ?? "")
                }
            case .pingAck:
                keepalive.pingAcknowledged()
            }
        }
        session.clearEvents()
        chargeGlitches()
    }

    /// Charges the glitches of the batch; past the budget the connection ends at once with
    /// GOAWAY(ENHANCE_YOUR_CALM) and its calls are cancelled (an abusive client's streams are not
    /// worth finishing).
    private func chargeGlitches() {
        let protocolErrors = session.protocolErrorCount - protocolErrorsCharged
        protocolErrorsCharged = session.protocolErrorCount
        let emptyFrames = session.emptyFrameCount - emptyFramesCharged
        emptyFramesCharged = session.emptyFrameCount
        // A header list past our MAX_HEADER_LIST_SIZE is one protocol error, plus more: nghttp2
        // must still decode the rest of its block to keep HPACK in step, and a bomb's block names
        // a large entry thousands of times - that work holds up the loop's other connections.
        let oversized = session.oversizedHeaderBlocks - oversizedHeaderBlocksCharged
        oversizedHeaderBlocksCharged = session.oversizedHeaderBlocks
        let count = unchargedGlitches + protocolErrors + emptyFrames + oversized * (Self.oversizedHeaderBlockGlitches - 1)
        unchargedGlitches = 0
        let withinBudget = glitches.spend(count, now: .now()) && !session.peerResetAllowanceExceeded
        session.peerResetAllowance = session.peerResetsReceived + glitches.remaining
        guard !withinBudget else { return }
        // The address cools down too: otherwise the abuser just opens the next connection.
        admission.peerClosedForGlitches(transport.socket.peer?.host ?? "")
        session.terminate(errorCode: HTTP2ErrorCode.enhanceYourCalm)
        for call in calls.values { call.abort() }
        calls.removeAll()
        transport.requestFlush()
    }

    private func endOfStream(_ streamID: Int32) {
        if let plain = plainStreams[streamID] { plain.receiveEnd() }
        guard let call = calls[streamID] else { return }
        call.receiveEndOfStream()
        if call.startsAtEndOfStream && !call.finished { startHandler(call) }
    }

    private func openCall(streamID: Int32, block: HTTP2HeaderBlock, endStream: Bool) {
        // Trailers from a client, or headers for a stream we already refused: ignore.
        guard calls[streamID] == nil, plainStreams[streamID] == nil else { return }
        if isPlainHTTP(block) {
            openPlainHTTP(streamID: streamID, block: block, endStream: endStream)
            return
        }
        let head: RequestHead
        switch RequestHead.parse(block, knownValidBinary: &validBinaryValues) {
        case .success(let parsed):
            head = parsed
        case .failure(let rejection):
            unchargedGlitches += 1
            refuse(streamID: streamID, rejection)
            return
        }
        guard let (path, method) = route(head.path) else {
            let path = String(decoding: head.path, as: UTF8.self)
            refuse(streamID: streamID, RequestHead.Rejection(code: .unimplemented, message: "method not found: \(path)"))
            return
        }
        let exempt = Self.alwaysAdmitted(path)
        let unary = method.kind == .unary
        if !exempt, let refusal = admission.admitCall(unary: unary) {
            refuse(streamID: streamID, refusal)
            return
        }
        let deadline = head.timeoutNanoseconds.map { MonotonicTime.now().adding(nanoseconds: $0) }
        let context = ServerContext(path: path, requestHeaders: block, deadline: deadline, peer: peerDescription, loop: loop,
                                    connectionValues: connectionValues)
        if let tls { context[TLSConnectionInfoKey.self] = tls }
        keepalive.callOpened()
        let call = ServerCall(streamID: streamID, method: method, context: context, connection: self,
                              maxMessageSize: configuration.maxReceiveMessageSize,
                              interceptors: configuration.interceptors)
        calls[streamID] = call
        if !exempt {
            call.admitted = (admission, unary)
        }
        if let deadline {
            // The call itself, held strongly: finish and abort cancel the timer, which drops it
            // (a weak capture gave every call a side table, a closure an allocation).
            call.deadlineTimer = loop.schedule(at: deadline, target: call)
        }
        if endStream {
            call.receiveEndOfStream()
        }
        if !call.startsAtEndOfStream || endStream { startHandler(call) }
    }

    /// Health checks and reflection answer even at the limit: an orchestrator must not take an
    /// overloaded replica for a dead one.
    private static func alwaysAdmitted(_ path: String) -> Bool {
        ByteStrings.hasPrefix(path, "/grpc.health.v1.Health/") || ByteStrings.hasPrefix(path, "/grpc.reflection.")
    }

    /// The path as a String and its method. Clients mostly repeat one method on a connection,
    /// so the last answer is kept: no String allocation or hashing for a repeated path.
    private func route(_ pathBytes: ArraySlice<UInt8>) -> (String, RPCMethod)? {
        if let last = lastRoute, ByteStrings.equal(pathBytes, last.bytes) { return (last.path, last.method) }
        let path = String(decoding: pathBytes, as: UTF8.self)
        guard let method = router.method(for: path) else { return nil }
        lastRoute = (Array(pathBytes), path, method)
        return (path, method)
    }

    private func startHandler(_ call: ServerCall) {
        guard call.task == nil, !call.finished else { return }
        for interceptor in configuration.interceptors {
            do {
                try interceptor.callStarted(call.context)
            } catch {
                call.finish(error: error)
                return
            }
        }
        let method = call.method
        let context = call.context
        call.task = Task(executorPreference: loop) {
            await CurrentCall.$context.withValue(context) { await method.run(call) }
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
        transport.requestFlush()
    }

    // MARK: Shutdown

    /// First phase of a graceful shutdown: tell the client to stop opening streams.
    func beginShutdown() {
        session.submitShutdownNotice()
        transport.requestFlush()
    }

    /// Second phase: the final GOAWAY; the connection closes once its calls are done. Handlers
    /// of watch streams see `isServerShuttingDown` and end theirs.
    func finishShutdown() {
        for call in calls.values { call.context.isServerShuttingDown = true }
        isShuttingDown = true
        session.submitGoaway(errorCode: HTTP2ErrorCode.noError)
        transport.closeWhenIdle = true
        transport.requestFlush()
        if calls.isEmpty && plainStreams.isEmpty { transport.flush() }
    }

    func close() { transport.close() }

    /// A flood nghttp2 caught (SETTINGS or PING ACKs queued past its limit) ends the connection
    /// like a spent glitch budget, and the address cools down the same way: otherwise a flooder
    /// just reconnects.
    func peerFlooded(_ connection: HTTP2Connection) {
        admission.peerClosedForGlitches(transport.socket.peer?.host ?? "")
    }

    func connectionClosed(_ connection: HTTP2Connection) {
        if let keepaliveTimer { loop.cancelTimer(keepaliveTimer) }
        for call in calls.values { call.abort() }
        calls.removeAll()
        for plain in plainStreams.values { plain.abort() }
        plainStreams.removeAll()
        for waiter in drainWaiters { _ = waiter.resumeIfDrained() }
        drainWaiters.removeAll()
        onClose?(self)
    }
}
