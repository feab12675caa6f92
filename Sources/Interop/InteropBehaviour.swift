import Messages
import RPC

/// The "Echo Metadata" and "Echo Status" server features, and the CompressedRequest probe.
enum InteropEcho {
    static let initialKey = "x-grpc-test-echo-initial"
    static let trailingKey = "x-grpc-test-echo-trailing-bin"

    /// Sends back exactly these two keys: the first in the response headers, the second in the
    /// trailers (also when the call ends in an error).
    static func echoMetadata(_ context: ServerContext) {
        if let value = context.requestMetadata[initialKey] {
            context.initialMetadata.add(initialKey, value)
        }
        if let value = context.requestMetadata.binary(trailingKey) {
            context.trailingMetadata.add(trailingKey, binary: value)
        }
    }

    static func throwRequestedStatus(_ status: Grpc_Testing_EchoStatus?) throws {
        guard let status, status.code != 0 else { return }
        // A code outside gRPC's range is still an error the client asked for: UNKNOWN.
        let code = StatusCode(rawValue: Int(status.code)) ?? .unknown
        throw RPCError(code: code, message: status.message)
    }

    /// This server never decompresses, so a message reaching a handler was sent uncompressed:
    /// a client that insists it compressed gets INVALID_ARGUMENT, which is exactly how the
    /// descriptions let a client find out that the CompressedRequest feature is absent.
    static func rejectExpectedCompression(_ expectCompressed: Grpc_Testing_BoolValue?) throws {
        guard expectCompressed?.value == true else { return }
        throw RPCError(code: .invalidArgument, message: "expected a compressed request; this server accepts only uncompressed ones")
    }
}

/// Response payloads: bodies of zeros of the requested size, optionally paced.
enum InteropPayload {
    static func zeros(type: Grpc_Testing_PayloadType, size: Int32) throws -> Grpc_Testing_Payload {
        guard case .compressable = type else {
            throw RPCError(code: .invalidArgument, message: "unsupported response_type \(type.rawValue)")
        }
        guard size >= 0 else {
            throw RPCError(code: .invalidArgument, message: "negative response size \(size)")
        }
        var payload = Grpc_Testing_Payload()
        payload.type = .compressable
        payload.body = [UInt8](repeating: 0, count: Int(size))
        return payload
    }

    /// One response per ResponseParameters, each after sleeping its `interval_us`
    /// ("Observe ResponseParameters.interval_us"). The sleep throws when the call is cancelled
    /// or its deadline passes, so a sleeping handler stops at once.
    static func respond(
        to request: Grpc_Testing_StreamingOutputCallRequest,
        with writer: ResponseStreamWriter<Grpc_Testing_StreamingOutputCallResponse>
    ) async throws {
        for parameters in request.responseParameters {
            if parameters.intervalUs > 0 {
                try await Task.sleep(for: .microseconds(Int64(parameters.intervalUs)))
            }
            var response = Grpc_Testing_StreamingOutputCallResponse()
            response.payload = try zeros(type: request.responseType, size: parameters.size)
            try await writer.send(response)
        }
    }
}
