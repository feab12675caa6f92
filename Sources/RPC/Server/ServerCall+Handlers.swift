import ProtoCodec

/// The four call shapes: each decodes its requests, runs the typed handler and sends the
/// outcome. These run inside the call's task, on the loop thread.
extension ServerCall {
    func runUnary<Request: ProtoMessage, Response: ProtoMessage>(
        _ handler: @Sendable (Request, ServerContext) async throws -> Response
    ) async {
        guard let request: Request = decodeSingleRequest() else { return }
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
        guard let request: Request = decodeSingleRequest() else { return }
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

    private func decodeSingleRequest<Request: ProtoMessage>() -> Request? {
        guard let bytes = takeSingleRequest() else { return nil }
        do {
            return try Request.decode(bytes: bytes, arena: arena)
        } catch {
            finish(error: RPCError.undecodableRequest(error, messageName: Request.protoMessageName))
            return nil
        }
    }
}
