import Messages
import RPC
import ServiceAPI

/// `grpc.testing.TestService` as gRPC's interop test descriptions define the server
/// (grpc/grpc doc/interop-test-descriptions.md, "Server"), so that any stock interop client can
/// test our runtime. Every method echoes the `x-grpc-test-echo-*` metadata ("Echo Metadata").
public struct InteropTestService: Grpc_Testing_TestServiceHandler {
    public init() {}

    public func emptyCall(_ request: Grpc_Testing_Empty, context: ServerContext) async throws -> Grpc_Testing_Empty {
        InteropEcho.echoMetadata(context)
        return Grpc_Testing_Empty()
    }

    public func unaryCall(
        _ request: Grpc_Testing_SimpleRequest, context: ServerContext
    ) async throws -> Grpc_Testing_SimpleResponse {
        InteropEcho.echoMetadata(context)
        try InteropEcho.throwRequestedStatus(request.responseStatus)
        try InteropEcho.rejectExpectedCompression(request.expectCompressed)
        var response = Grpc_Testing_SimpleResponse()
        response.payload = try InteropPayload.zeros(type: request.responseType, size: request.responseSize)
        return response
    }

    /// Meant to sit behind a caching proxy; the body differs per call so a stale cache shows.
    public func cacheableUnaryCall(
        _ request: Grpc_Testing_SimpleRequest, context: ServerContext
    ) async throws -> Grpc_Testing_SimpleResponse {
        InteropEcho.echoMetadata(context)
        var payload = Grpc_Testing_Payload()
        payload.body = Array(String(ContinuousClock.now.hashValue).utf8)
        var response = Grpc_Testing_SimpleResponse()
        response.payload = payload
        return response
    }

    public func streamingOutputCall(
        _ request: Grpc_Testing_StreamingOutputCallRequest,
        responses: ResponseStreamWriter<Grpc_Testing_StreamingOutputCallResponse>,
        context: ServerContext
    ) async throws {
        InteropEcho.echoMetadata(context)
        try InteropEcho.throwRequestedStatus(request.responseStatus)
        try await InteropPayload.respond(to: request, with: responses)
    }

    public func streamingInputCall(
        _ requests: RequestStream<Grpc_Testing_StreamingInputCallRequest>, context: ServerContext
    ) async throws -> Grpc_Testing_StreamingInputCallResponse {
        InteropEcho.echoMetadata(context)
        var total = 0
        for try await request in requests {
            try InteropEcho.rejectExpectedCompression(request.expectCompressed)
            total += request.payload?.body.count ?? 0
        }
        var response = Grpc_Testing_StreamingInputCallResponse()
        response.aggregatedPayloadSize = Int32(clamping: total)
        return response
    }

    /// Answers each request as it arrives; a request carrying `response_status` ends the call
    /// with that status and nothing after it is read ("Echo Status").
    public func fullDuplexCall(
        _ requests: RequestStream<Grpc_Testing_StreamingOutputCallRequest>,
        responses: ResponseStreamWriter<Grpc_Testing_StreamingOutputCallResponse>,
        context: ServerContext
    ) async throws {
        InteropEcho.echoMetadata(context)
        for try await request in requests {
            try InteropEcho.throwRequestedStatus(request.responseStatus)
            try await InteropPayload.respond(to: request, with: responses)
        }
    }

    /// Like FullDuplexCall, but answers only once the client has half-closed.
    public func halfDuplexCall(
        _ requests: RequestStream<Grpc_Testing_StreamingOutputCallRequest>,
        responses: ResponseStreamWriter<Grpc_Testing_StreamingOutputCallResponse>,
        context: ServerContext
    ) async throws {
        InteropEcho.echoMetadata(context)
        var received: [Grpc_Testing_StreamingOutputCallRequest] = []
        for try await request in requests {
            received.append(request)
        }
        for request in received {
            try InteropEcho.throwRequestedStatus(request.responseStatus)
            try await InteropPayload.respond(to: request, with: responses)
        }
    }

    /// Stock servers leave this method out, so clients can test UNIMPLEMENTED on a known service.
    public func unimplementedCall(_ request: Grpc_Testing_Empty, context: ServerContext) async throws -> Grpc_Testing_Empty {
        throw RPCError(code: .unimplemented, message: "grpc.testing.TestService/UnimplementedCall is not implemented")
    }
}
