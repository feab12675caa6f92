import ProtoCodec

/// The four call shapes: each decodes its requests, runs the typed handler and sends the
/// outcome. These run inside the call's task, on the loop thread.
extension ServerCall {
    func runUnary<Request: ProtoMessage, Response: ProtoMessage>(
        _ handler: @Sendable (Request, ServerContext) async throws -> Response
    ) async {
        let request: Request
        do { request = try decodeSingleRequest() } catch { return }
        do {
            let response = try await handler(request, context)
            if let encoded = context.encodedResponse {
                assert(encoded == response.serializedBytes(), "encodedResponse is not the returned message's encoding")
                try send(encoded: encoded)
            } else {
                try send(response)
            }
            finishOK()
        } catch {
            finish(error: error)
        }
    }

    func runServerStreaming<Request: ProtoMessage, Response: ProtoMessage>(
        _ handler: @Sendable (Request, ResponseStreamWriter<Response>, ServerContext) async throws -> Void
    ) async {
        let request: Request
        do { request = try decodeSingleRequest() } catch { return }
        do {
            try await handler(request, ResponseStreamWriter(call: self), context)
            finishOK()
        } catch {
            finish(error: error)
        }
    }

    func runClientStreaming<Request: ProtoMessage, Response: ProtoMessage>(
        _ handler: @Sendable (RequestStream<Request>, ServerContext) async throws -> Response
    ) async {
        do {
            let response = try await handler(RequestStream(call: self), context)
            try send(response)
            finishOK()
        } catch {
            finish(error: error)
        }
    }

    func runBidiStreaming<Request: ProtoMessage, Response: ProtoMessage>(
        _ handler: @Sendable (RequestStream<Request>, ResponseStreamWriter<Response>, ServerContext) async throws -> Void
    ) async {
        do {
            try await handler(RequestStream(call: self), ResponseStreamWriter(call: self), context)
            finishOK()
        } catch {
            finish(error: error)
        }
    }

    /// The request, or `Answered` once the call was finished with the reason. Thrown rather
    /// than nil: these shapes run unspecialised, and an `Optional<Request>` needed its metadata
    /// looked up at run time on every call.
    private func decodeSingleRequest<Request: ProtoMessage>() throws(Answered) -> Request {
        guard let bytes = takeSingleRequest() else { throw Answered() }
        do {
            return try Request.decode(bytes: bytes, arena: arena)
        } catch {
            finish(error: RPCError.undecodableRequest(error, messageName: Request.protoMessageName))
            throw Answered()
        }
    }

    /// The call was already answered (its request was missing or undecodable).
    struct Answered: Error {}
}
