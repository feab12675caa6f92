import HTTP2
import NetIO

/// The loop-side state of one client call: what it still has to send, the responses it
/// received, and its status. Only the channel's loop thread touches it; the public call types
/// hop there for every operation.
final class ClientStream: TimerTarget, @unchecked Sendable {
    typealias ResponseHandler = (Result<ArraySlice<UInt8>?, RPCError>) -> Void
    typealias HeadersHandler = (Result<Metadata, RPCError>) -> Void

    let path: String
    let options: CallOptions
    let deadline: MonotonicTime?
    var streamID: Int32?
    weak var connection: ClientConnection?
    /// The deadline's timer and the loop it runs on (the stream may end before it has a connection).
    var deadlineTimer: (id: TimerID, loop: EventLoop)?

    private var framer: MessageFramer
    /// Framed request messages waiting for the stream to open.
    private var pendingSends: [[UInt8]] = []
    private var sendClosed = false
    private var responses = MessageQueue()
    private var responseWaiter: ResponseHandler?
    private var headersWaiters: [HeadersHandler] = []
    private(set) var initialMetadata: Metadata?
    private(set) var trailingMetadata = Metadata()
    /// nil while the call runs; `.ok` code when it ended well.
    private(set) var outcome: RPCError?
    /// Called once when the call ends (unary calls complete through it).
    var onFinish: ((ClientStream) -> Void)?

    init(path: String, options: CallOptions, maxMessageSize: Int) {
        self.path = path
        self.options = options
        self.deadline = options.timeout.map { MonotonicTime.now().adding($0) }
        self.framer = MessageFramer(maxMessageSize: maxMessageSize)
    }

    var isFinished: Bool { outcome != nil }

    // MARK: Sending

    func send(_ framed: [UInt8]) throws {
        if let outcome { throw outcome.code == .ok ? RPCError(code: .failedPrecondition, message: "the call has ended") : outcome }
        guard !sendClosed else { throw RPCError(code: .failedPrecondition, message: "send after closeSend") }
        if let connection, let streamID {
            connection.session.appendData(streamID: streamID, framed)
            connection.requestFlush()
        } else {
            pendingSends.append(framed)
        }
    }

    /// Bytes of this call queued in nghttp2 above which a sender waits (send-side flow control:
    /// a fast producer cannot buffer without bound while the server reads slowly).
    static let highWaterMark = 256 * 1024
    private var drainWaiter: ((RPCError?) -> Void)?

    /// Calls `resume` now when the queue is short, else once it has drained (or the call ended).
    func whenWritable(_ resume: @escaping (RPCError?) -> Void) {
        guard let connection, let streamID, !isFinished,
              connection.session.pendingBytes(streamID: streamID) > Self.highWaterMark else {
            resume(nil)
            return
        }
        drainWaiter = resume
        connection.awaitDrain(self)
    }

    /// Resumes a waiting sender if its queue drained; true when nothing waits any more.
    func resumeIfDrained() -> Bool {
        guard let waiter = drainWaiter else { return true }
        if let outcome, !(outcome.code == .ok) {
            drainWaiter = nil
            waiter(outcome)
            return true
        }
        if let connection, let streamID,
           connection.session.pendingBytes(streamID: streamID) > Self.highWaterMark / 2, !isFinished {
            return false
        }
        drainWaiter = nil
        waiter(nil)
        return true
    }

    func closeSend() {
        guard !sendClosed else { return }
        sendClosed = true
        if let connection, let streamID {
            connection.session.finish(streamID: streamID, trailers: nil)
            connection.requestFlush()
        }
    }

    /// The stream opened on `connection`: flush what was queued before.
    func opened(streamID: Int32, on connection: ClientConnection) {
        self.streamID = streamID
        self.connection = connection
        for framed in pendingSends { connection.session.appendData(streamID: streamID, framed) }
        pendingSends.removeAll()
        if sendClosed { connection.session.finish(streamID: streamID, trailers: nil) }
        connection.requestFlush()
    }

    // MARK: Receiving (from the connection)

    func receiveHeaders(_ block: HTTP2HeaderBlock, endStream: Bool) {
        guard !isFinished else { return }
        let metadata = (try? MetadataCodec.metadata(from: block)) ?? Metadata()
        if initialMetadata == nil {
            if let status = block.value(named: ":status"), !ByteStrings.equal(status, "200"),
               block.value(named: "grpc-status") == nil {
                finish(ResponseStatus.fromHTTPStatus(status))
                return
            }
            if endStream {
                // Trailers-only: the one block carries the status and trailing metadata.
                initialMetadata = Metadata()
                trailingMetadata = metadata
                finish(ResponseStatus.fromTrailers(block))
                return
            }
            initialMetadata = metadata
            for waiter in headersWaiters { waiter(.success(metadata)) }
            headersWaiters.removeAll()
            return
        }
        guard endStream else { return }
        trailingMetadata = metadata
        finish(ResponseStatus.fromTrailers(block))
    }

    func receiveData(_ bytes: ArraySlice<UInt8>) {
        guard !isFinished else { return }
        framer.append(bytes)
        while let next = framer.next() {
            switch next {
            case .success(let message):
                if let waiter = responseWaiter {
                    responseWaiter = nil
                    waiter(.success(message))
                } else {
                    responses.append(message)
                }
            case .failure(.tooLarge(let size)):
                fail(RPCError(code: .resourceExhausted, message: "response of \(size) bytes exceeds the limit"))
                return
            case .failure(.compressedWithoutEncoding):
                fail(RPCError(code: .internalError, message: "compressed response without grpc-encoding"))
                return
            }
        }
    }

    /// The stream closed; if no trailers came first, the call failed.
    func streamClosed(errorCode: UInt32) {
        guard !isFinished else { return }
        if errorCode == HTTP2ErrorCode.refusedStream {
            finish(RPCError(code: .unavailable, message: "the server refused the stream (it is shutting down)"))
        } else if errorCode == HTTP2ErrorCode.cancel {
            finish(RPCError(code: .cancelled, message: "the server cancelled the stream"))
        } else {
            finish(RPCError(code: .internalError, message: "stream closed without a status (HTTP/2 error \(errorCode))"))
        }
    }

    /// Ends the call locally (cancel, deadline, connection loss) and tells the server.
    func fail(_ error: RPCError) {
        guard !isFinished else { return }
        if let connection, let streamID {
            connection.session.resetStream(streamID: streamID, errorCode: HTTP2ErrorCode.cancel)
            connection.requestFlush()
        }
        finish(error)
    }

    /// The deadline passed (its timer, `ChannelCore.start`).
    func timerFired() {
        fail(RPCError(code: .deadlineExceeded, message: "deadline exceeded"))
    }

    private func finish(_ status: RPCError) {
        guard outcome == nil else { return }
        outcome = status
        if let timer = deadlineTimer {
            timer.loop.cancelTimer(timer.id)
            deadlineTimer = nil
        }
        for waiter in headersWaiters {
            waiter(status.code == .ok ? .success(initialMetadata ?? Metadata()) : .failure(status))
        }
        _ = resumeIfDrained()
        headersWaiters.removeAll()
        if let waiter = responseWaiter {
            responseWaiter = nil
            deliverEnd(to: waiter)
        }
        connection?.streamFinished(self)
        onFinish?(self)
        onFinish = nil
    }

    // MARK: Reading (caller side, on the loop)

    /// The next response message; nil at a successful end; the status otherwise. Messages
    /// that arrived before a failure are still delivered first.
    func nextResponse(_ handler: @escaping ResponseHandler) {
        if !responses.isEmpty {
            handler(.success(responses.popFirst()))
        } else if isFinished {
            deliverEnd(to: handler)
        } else {
            responseWaiter = handler
        }
    }

    func takeBufferedResponse() -> ArraySlice<UInt8>? {
        responses.popFirst()
    }

    func waitForHeaders(_ handler: @escaping HeadersHandler) {
        if let initialMetadata {
            handler(.success(initialMetadata))
        } else if let outcome, outcome.code != .ok {
            handler(.failure(outcome))
        } else if isFinished {
            handler(.success(Metadata()))
        } else {
            headersWaiters.append(handler)
        }
    }

    private func deliverEnd(to handler: ResponseHandler) {
        if let outcome, outcome.code != .ok {
            var failure = outcome
            failure.trailers = trailingMetadata
            handler(.failure(failure))
        } else {
            handler(.success(nil))
        }
    }
}
