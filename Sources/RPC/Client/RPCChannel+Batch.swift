import ProtoCodec

/// One call of `RPCChannel.unaryBatch`.
public struct UnaryBatchCall<Request: ProtoMessage>: Sendable {
    public var path: String
    public var request: Request
    public var options: CallOptions

    public init(path: String, request: Request, options: CallOptions = CallOptions()) {
        self.path = path
        self.request = request
        self.options = options
    }
}

extension RPCChannel {
    /// Several unary calls started together: one visit to the channel's loop starts them all
    /// (their frames leave in the same writes), and the caller resumes once, when the last one
    /// has ended. N calls cost one task hop and one wake-up instead of N of each (the outbox
    /// relay delivers its batch per peer this way). Each result is in the order of `calls`.
    public func unaryBatch<Request: ProtoMessage, Response: ProtoMessage>(
        _ calls: [UnaryBatchCall<Request>], as responseType: Response.Type
    ) async -> [Result<Response, RPCError>] {
        guard !calls.isEmpty else { return [] }
        let streams = calls.map { makeStream(path: $0.path, options: $0.options) }
        return await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<[Result<Response, RPCError>], Never>) in
                core.loop.execute { [self] in
                    // Loop-confined: every stream finishes on this loop.
                    let gathered = BatchResults<Response>(count: streams.count, continuation: continuation)
                    for (index, stream) in streams.enumerated() {
                        stream.onFinish = { [self] finished in
                            // A closure, not `\.message`: a key path into this generic type is instantiated at run
                            // time on every call (0.8% of an order's service CPU in the relay).
                            gathered.set(index, unaryResult(finished, as: Response.self).map { $0.message }.mapError { error in
                                error as? RPCError ?? RPCError(code: .internalError, message: "\(error)")
                            })
                        }
                        try? stream.send(frame(calls[index].request))
                        stream.closeSend()
                        core.start(stream)
                    }
                }
            }
        } onCancel: {
            for stream in streams { cancelOnLoop(stream) }
        }
    }
}

extension RPCChannel {
    /// `unaryBatch` of messages already encoded (the outbox's): a concrete entry point, so this
    /// module compiles the batch for these types once. Called generically from another module
    /// it looked up `Result`'s and the continuation's metadata at run time on every call (~20
    /// lookups per order in the relay, ~2% of an order's service CPU).
    public func unaryBatch(opaque calls: [UnaryBatchCall<OpaqueMessage>]) async -> [Result<OpaqueMessage, RPCError>] {
        await unaryBatch(calls, as: OpaqueMessage.self)
    }
}

/// The results of one batch as they come in (on the channel's loop), resuming the caller with
/// all of them after the last.
private final class BatchResults<Response: Sendable>: @unchecked Sendable {
    private var results: [Result<Response, RPCError>?]
    private var remaining: Int
    private var continuation: CheckedContinuation<[Result<Response, RPCError>], Never>?

    init(count: Int, continuation: CheckedContinuation<[Result<Response, RPCError>], Never>) {
        results = Array(repeating: nil, count: count)
        remaining = count
        self.continuation = continuation
    }

    func set(_ index: Int, _ result: Result<Response, RPCError>) {
        guard results[index] == nil else { return }
        results[index] = result
        remaining -= 1
        if remaining == 0, let continuation {
            self.continuation = nil
            continuation.resume(returning: results.map { $0! })
        }
    }
}
