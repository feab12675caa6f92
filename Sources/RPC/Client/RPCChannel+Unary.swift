import ProtoCodec

extension RPCChannel {
    /// A unary call: the response message, or the call's status as an `RPCError`.
    public func unary<Request: ProtoMessage, Response: ProtoMessage>(
        path: String, request: Request, options: CallOptions = CallOptions()
    ) async throws -> Response {
        try await unaryCall(path: path, request: request, options: options).message
    }

    /// A unary call with the metadata of the answer.
    public func unaryCall<Request: ProtoMessage, Response: ProtoMessage>(
        path: String, request: Request, options: CallOptions = CallOptions()
    ) async throws -> UnaryResponse<Response> {
        let stream = makeStream(path: path, options: options)
        return try await withTaskCancellationHandler {
            try await onLoop { [self] (continuation: CheckedContinuation<UnaryResponse<Response>, any Error>) in
                stream.onFinish = { [self] finished in
                    continuation.resume(with: unaryResult(finished, as: Response.self))
                }
                try? stream.send(frame(request))
                stream.closeSend()
                core.start(stream)
            }
        } onCancel: {
            cancelOnLoop(stream)
        }
    }

    func unaryResult<Response: ProtoMessage>(_ stream: ClientStream, as type: Response.Type)
        -> Result<UnaryResponse<Response>, any Error> {
        if let outcome = stream.outcome, outcome.code != .ok {
            var failure = outcome
            failure.trailers = stream.trailingMetadata
            return .failure(failure)
        }
        guard let bytes = stream.takeBufferedResponse() else {
            return .failure(RPCError(code: .unimplemented, message: "the server sent no response message for a unary call"))
        }
        if stream.takeBufferedResponse() != nil {
            return .failure(RPCError(code: .unimplemented, message: "the server sent more than one response message for a unary call"))
        }
        return decode(bytes, as: Response.self).map {
            UnaryResponse(message: $0, initialMetadata: stream.initialMetadata ?? Metadata(),
                          trailingMetadata: stream.trailingMetadata)
        }.mapError { $0 }
    }
}
