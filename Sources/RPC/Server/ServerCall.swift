import HTTP2
import NetIO
import ProtoCodec

/// One gRPC call on a server connection: its inbound messages, its handler task and what it
/// has sent. Every method runs on the connection's loop thread (the handler task prefers that
/// loop as its executor), so the state needs no lock.
final class ServerCall: TimerTarget, @unchecked Sendable {
    let streamID: Int32
    let method: RPCMethod
    let context: ServerContext
    let loop: EventLoop
    weak var connection: ServerConnection?
    private let interceptors: [any ServerInterceptor]

    private var framer: MessageFramer
    private var requests = MessageQueue()
    private var requestsEnded = false
    private var inboundFailure: RPCError?
    private var requestWaiter: CheckedContinuation<ArraySlice<UInt8>?, any Error>?
    /// Received bytes not yet given back to the client's flow-control window: those of messages
    /// queued for the handler or still being assembled. Given back as the handler takes each
    /// message, so a client that streams faster than the handler reads (or a handler that never
    /// reads) is held to the window instead of filling memory.
    private var heldBytes = 0
    private var drainWaiter: CheckedContinuation<Void, any Error>?

    private var headersSent = false
    /// The status was sent, or the stream is gone: nothing more may be sent.
    private(set) var finished = false
    var task: Task<Void, Never>?
    /// Admission control counted this call (unary or not): told once when it ends (answered
    /// or aborted). The control itself rather than a closure over it: a closure was an
    /// allocation per call.
    var admitted: (control: AdmissionControl, unary: Bool)?
    var deadlineTimer: TimerID?

    init(streamID: Int32, method: RPCMethod, context: ServerContext, connection: ServerConnection,
         maxMessageSize: Int, interceptors: [any ServerInterceptor]) {
        self.interceptors = interceptors
        self.streamID = streamID
        self.method = method
        self.context = context
        self.connection = connection
        self.loop = connection.loop
        self.framer = MessageFramer(maxMessageSize: maxMessageSize)
    }

    var arena: ProtoArena { connection?.resources.arena ?? ProtoArena() }

    /// Unary and server-streaming handlers start once the whole request is in.
    var startsAtEndOfStream: Bool { method.kind == .unary || method.kind == .serverStreaming }

    // MARK: Inbound (called by the connection)

    func receiveData(_ bytes: ArraySlice<UInt8>) {
        guard !finished, inboundFailure == nil else {
            connection?.consumeInbound(streamID: streamID, bytes.count)
            return
        }
        heldBytes += bytes.count
        framer.append(bytes)
        while let next = framer.next() {
            switch next {
            case .success(let message):
                deliver(message)
            case .failure(.tooLarge(let size)):
                failInbound(RPCError(code: .resourceExhausted,
                                     message: "message of \(size) bytes exceeds the limit of \(framer.maxMessageSize) bytes"))
                return
            case .failure(.compressedWithoutEncoding):
                failInbound(RPCError(code: .internalError,
                                     message: "compressed flag set but no grpc-encoding was negotiated"))
                return
            }
        }
    }

    func receiveEndOfStream() {
        guard !finished, inboundFailure == nil else { return }
        if framer.hasPartialMessage {
            failInbound(RPCError(code: .internalError, message: "stream ended inside a message (truncated)"))
            return
        }
        requestsEnded = true
        if let waiter = requestWaiter {
            requestWaiter = nil
            waiter.resume(returning: nil)
        }
    }

    private func deliver(_ message: ArraySlice<UInt8>) {
        if startsAtEndOfStream && !requests.isEmpty {
            // gRPC's status code table names UNIMPLEMENTED for a request cardinality violation.
            failInbound(RPCError(code: .unimplemented, message: "more than one request message on a unary call"))
            return
        }
        if let waiter = requestWaiter {
            requestWaiter = nil
            release(message)
            waiter.resume(returning: message)
        } else {
            requests.append(message)
        }
    }

    /// The handler took `message`: its bytes and its 5-byte prefix go back to the client.
    private func release(_ message: ArraySlice<UInt8>) {
        releaseHeld(message.count + MessageFramer.prefixLength)
    }

    private func releaseHeld(_ count: Int) {
        let given = min(count, heldBytes)
        guard given > 0 else { return }
        heldBytes -= given
        connection?.consumeInbound(streamID: streamID, given)
    }

    /// A broken request: answer with its status at once, and let the handler (if running) see
    /// the failure on its next read.
    private func failInbound(_ error: RPCError) {
        inboundFailure = error
        if let waiter = requestWaiter {
            requestWaiter = nil
            waiter.resume(throwing: error)
        }
        finish(error: error)
        task?.cancel()
    }

    /// The stream closed (client reset, connection gone) before the call finished.
    func abort() {
        releaseHeld(heldBytes)
        guard !finished else { return }
        finished = true
        notifyFinished(.cancelled)
        context.isCancelled = true
        cancelDeadline()
        let error = RPCError(code: .cancelled, message: "the client cancelled the call")
        resumeWaiters(throwing: error)
        task?.cancel()
    }

    func timerFired() { deadlineExpired() }

    func deadlineExpired() {
        deadlineTimer = nil
        guard !finished else { return }
        finish(error: RPCError(code: .deadlineExceeded, message: "deadline exceeded"))
        context.isCancelled = true
        task?.cancel()
    }

    // MARK: Reading requests (handler side)

    /// The single request of a unary or server-streaming call, or nil after answering the error.
    func takeSingleRequest() -> ArraySlice<UInt8>? {
        if let failure = inboundFailure {
            finish(error: failure)
            return nil
        }
        guard requests.count == 1, let request = requests.popFirst() else {
            finish(error: RPCError(code: .unimplemented, message: "a unary call needs exactly one request message, got \(requests.count)"))
            return nil
        }
        release(request)
        return request
    }

    /// Every request of a call whose client has already half-closed (how a proxy sees a unary
    /// or server-streaming call): nil while more may come, or once the call failed.
    func takeAllRequestsIfEnded() -> [ArraySlice<UInt8>]? {
        guard requestsEnded, inboundFailure == nil, !finished else { return nil }
        var all: [ArraySlice<UInt8>] = []
        while let next = requests.popFirst() {
            release(next)
            all.append(next)
        }
        return all
    }

    func nextRequest() async throws -> ArraySlice<UInt8>? {
        if let failure = inboundFailure { throw failure }
        if let next = requests.popFirst() {
            release(next)
            return next
        }
        if requestsEnded { return nil }
        if finished { throw RPCError(code: .cancelled, message: "the call has ended") }
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                requestWaiter = continuation
            }
        } onCancel: { [self] in
            loop.execute { self.resumeWaiters(throwing: CancellationError()) }
        }
    }

    private func resumeWaiters(throwing error: any Error) {
        if let waiter = requestWaiter {
            requestWaiter = nil
            waiter.resume(throwing: error)
        }
        if let waiter = drainWaiter {
            drainWaiter = nil
            waiter.resume(throwing: error)
        }
    }

    // MARK: Sending (handler side)

    func send<Message: ProtoMessage>(_ message: Message) throws {
        guard !finished, let connection else {
            throw RPCError(code: .cancelled, message: "the call has ended")
        }
        let arena = connection.resources.arena
        let framed = MessageFramer.frame { message.encode(appendingTo: &$0, arena: arena) }
        sendHeadersIfNeeded(connection)
        connection.session.appendData(streamID: streamID, framed)
        connection.requestFlush()
    }

    /// A message already encoded (`ServerContext.encodedResponse`).
    func send(encoded message: [UInt8]) throws {
        guard !finished, let connection else {
            throw RPCError(code: .cancelled, message: "the call has ended")
        }
        let framed = MessageFramer.frame(reservingFor: message.count + MessageFramer.prefixLength) { $0 += message }
        sendHeadersIfNeeded(connection)
        connection.session.appendData(streamID: streamID, framed)
        connection.requestFlush()
    }

    /// Waits while too much of this call's output is still queued (send-side flow control).
    func waitForDrain() async throws {
        guard let connection, connection.session.pendingBytes(streamID: streamID) > connection.resources.highWaterMark else { return }
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            drainWaiter = continuation
            connection.awaitDrain(self)
        }
    }

    /// Resumes a sender waiting in `waitForDrain` once its queue is short again.
    func resumeIfDrained() -> Bool {
        guard let waiter = drainWaiter else { return true }
        guard let connection, !finished else {
            drainWaiter = nil
            waiter.resume(throwing: RPCError(code: .cancelled, message: "the call has ended"))
            return true
        }
        if connection.session.pendingBytes(streamID: streamID) > connection.resources.highWaterMark / 2 { return false }
        drainWaiter = nil
        waiter.resume()
        return true
    }

    private func sendHeadersIfNeeded(_ connection: ServerConnection) {
        guard !headersSent else { return }
        headersSent = true
        var headers = connection.resources.responseHeaders
        MetadataCodec.append(context.initialMetadata, to: &headers)
        try? connection.session.submitResponse(streamID: streamID, headers: headers, hasBody: true)
    }

    // MARK: Finishing

    func finish(error: any Error) {
        if let rpcError = error as? RPCError {
            finish(code: rpcError.code, message: rpcError.message, details: rpcError.details,
                   extraTrailers: rpcError.trailers)
        } else if error is CancellationError {
            finish(code: .cancelled, message: "the call was cancelled", details: nil, extraTrailers: Metadata())
        } else if let convertible = error as? any RPCErrorConvertible {
            for interceptor in interceptors { interceptor.handlerFailed(context, error: error) }
            let rpcError = convertible.rpcError
            finish(code: rpcError.code, message: rpcError.message, details: rpcError.details,
                   extraTrailers: rpcError.trailers)
        } else {
            for interceptor in interceptors { interceptor.handlerFailed(context, error: error) }
            // Never leak internals of an unexpected error to the caller.
            finish(code: .unknown, message: "the handler failed unexpectedly", details: nil, extraTrailers: Metadata())
        }
    }

    func finishOK() {
        finish(code: .ok, message: "", details: nil, extraTrailers: Metadata())
    }

    func finish(code: StatusCode, message: String, details: [UInt8]?, extraTrailers: Metadata,
                httpStatus: String = "200", extraHeaders: [(String, String)] = []) {
        guard !finished, let connection else { return }
        finished = true
        // Queued requests nobody will read: their bytes go back to the client now.
        releaseHeld(heldBytes)
        notifyFinished(code)
        cancelDeadline()
        if requestWaiter != nil || drainWaiter != nil {
            resumeWaiters(throwing: RPCError(code: .cancelled, message: "the call has ended"))
        }
        var trailers = HTTP2HeaderList()
        if code == .ok && message.isEmpty && details == nil && extraTrailers.isEmpty && context.trailingMetadata.isEmpty && headersSent {
            trailers = connection.resources.okTrailers
        } else {
            trailers.add("grpc-status", String(code.rawValue))
            if !message.isEmpty { trailers.add("grpc-message", PercentEncoding.encode(StatusBounds.message(message))) }
            if let details = StatusBounds.details(details) { trailers.add("grpc-status-details-bin", Base64.encode(details)) }
            for (name, value) in extraHeaders { trailers.add(name, value) }
            MetadataCodec.append(context.trailingMetadata, to: &trailers)
            MetadataCodec.append(extraTrailers, to: &trailers)
        }
        if headersSent {
            connection.session.finish(streamID: streamID, trailers: trailers)
        } else {
            headersSent = true
            var headers = HTTP2HeaderList()
            headers.add(":status", httpStatus)
            headers.add("content-type", "application/grpc")
            MetadataCodec.append(context.initialMetadata, to: &headers)
            headers.append(contentsOf: trailers)
            try? connection.session.submitResponse(streamID: streamID, headers: headers, hasBody: false)
        }
        connection.requestFlush()
    }

    private func notifyFinished(_ code: StatusCode) {
        if let admitted {
            self.admitted = nil
            admitted.control.callEnded(unary: admitted.unary)
        }
        guard !interceptors.isEmpty else { return }
        let duration = MonotonicTime.now().nanoseconds &- context.startedAt.nanoseconds
        for interceptor in interceptors.reversed() {
            interceptor.callFinished(context, status: code, duration: .nanoseconds(Int64(clamping: duration)))
        }
    }

    private func cancelDeadline() {
        if let timer = deadlineTimer {
            loop.cancelTimer(timer)
            deadlineTimer = nil
        }
    }
}
