import ProtoCodec

extension JSONTranscoder {
    /// Answers a unary route whose method runs in this process (the gateway's own services,
    /// called from its staff pages' JSON API without a loopback connection): `method` takes the
    /// packed request and returns the packed response; the answer is JSON, or the error as a
    /// google.rpc.Status, exactly as for a forwarded call.
    public func answer(_ route: JSONRoute, messages: [[UInt8]], responder: any PlainHTTPResponder,
                       method: @Sendable ([UInt8]) async throws -> [UInt8]) async {
        do {
            let response = try await method(messages.first ?? [])
            let json = try route.responseToJSON(response)
            await responder.respond(PlainHTTPResponseHead(status: 200, headers: [("content-type", "application/json")]),
                                    body: JSONWriter.bytes(json))
        } catch {
            await JSONStatus.respond(Self.rpcError(error), to: responder)
        }
    }
}
