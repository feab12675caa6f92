import ProtoCodec

/// Forwards a call of any kind to another server, message by message, without decoding:
/// both sides run as bidirectional streams, which is the same on the wire for every call kind
/// (the backend still enforces its method's cardinality). Metadata, the deadline,
/// cancellation, response headers, trailers and the status pass through.
public struct RPCProxy: Sendable {
    public typealias MetadataTransform = @Sendable (Metadata, ServerContext) throws -> Metadata

    private let channel: RPCChannel
    private let transform: MetadataTransform

    /// `transform` turns the caller's metadata into what the backend receives (drop, add,
    /// sign); throwing refuses the call with that error.
    public init(channel: RPCChannel, transform: @escaping MetadataTransform = { metadata, _ in metadata }) {
        self.channel = channel
        self.transform = transform
    }

    /// A method that forwards calls to `path` on the backend.
    public func method(forwarding path: String) -> RPCMethod {
        let channel = self.channel
        let transform = self.transform
        return .bidiStreaming(path) { (requests: RequestStream<OpaqueMessage>, responses: ResponseStreamWriter<OpaqueMessage>, context: ServerContext) in
            var options = CallOptions(metadata: try transform(context.requestMetadata, context))
            options.timeout = context.timeRemaining
            try await RPCProxy.forward(path: path, channel: channel, options: options,
                                       requests: requests, responses: responses, context: context)
        }
    }

    /// Forwards one call already admitted: requests out as they arrive, responses back, then
    /// the backend's trailers and status. For proxies that decide routing or metadata
    /// themselves (the gateway admits callers against its database first).
    public static func forward(path: String, channel: RPCChannel, options: CallOptions,
                               requests: RequestStream<OpaqueMessage>, responses: ResponseStreamWriter<OpaqueMessage>,
                               context: ServerContext) async throws {
        if channel.loop.inLoop, let all = requests.call.takeAllRequestsIfEnded() {
            return try await forwardOnLoop(path: path, channel: channel, options: options, requests: all,
                                           responses: responses, context: context)
        }
        let call: BidiStreamingCall<OpaqueMessage, OpaqueMessage> = channel.bidiStreaming(path: path, options: options)
        do {
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    for try await request in requests { try await call.send(request) }
                    call.closeSend()
                }
                context.initialMetadata = try await call.initialMetadata()
                for try await response in call.responses { try await responses.send(response) }
                context.trailingMetadata = await call.trailingMetadata
                try await group.waitForAll()
            }
        } catch {
            // The client went away or the backend failed: end the other side too.
            call.cancel()
            throw error
        }
    }

    /// `forward` for the common case: the client already sent everything (a unary or
    /// server-streaming call) and the channel lives on this very loop (`LoopBoundChannels`).
    /// The backend stream is driven directly, without a hop to the loop per step or a child
    /// task pumping requests: the handler suspends only while the backend has not answered.
    static func forwardOnLoop(path: String, channel: RPCChannel, options: CallOptions, requests: [ArraySlice<UInt8>],
                              responses: ResponseStreamWriter<OpaqueMessage>, context: ServerContext) async throws {
        let stream = channel.makeStream(path: path, options: options)
        for request in requests {
            try stream.send(MessageFramer.frame(reservingFor: request.count + 5) { $0.append(contentsOf: request) })
        }
        stream.closeSend()
        channel.core.start(stream)
        do {
            try await withTaskCancellationHandler {
                context.initialMetadata = try await withCheckedThrowingContinuation { continuation in
                    stream.waitForHeaders { continuation.resume(with: $0.mapError { $0 }) }
                }
                while let response = try await withCheckedThrowingContinuation({ (continuation: CheckedContinuation<ArraySlice<UInt8>?, any Error>) in
                    stream.nextResponse { continuation.resume(with: $0.mapError { $0 }) }
                }) {
                    try await responses.send(OpaqueMessage(bytes: Array(response)))
                }
                context.trailingMetadata = stream.trailingMetadata
            } onCancel: {
                channel.cancelOnLoop(stream)
            }
        } catch {
            // The client went away or the backend failed: end the other side too.
            stream.fail(RPCError(code: .cancelled, message: "the call was cancelled by the client"))
            throw error
        }
    }
}
