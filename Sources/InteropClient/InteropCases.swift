import Messages
import RPC
import ServiceAPI

/// A case found the server (or our client) misbehaving.
struct InteropCaseFailure: Error, CustomStringConvertible {
    let description: String
}

func require(_ condition: Bool, _ message: @autoclosure () -> String) throws {
    if !condition { throw InteropCaseFailure(description: message()) }
}

/// gRPC's interop test cases, client side (grpc/grpc doc/interop-test-descriptions.md), run
/// with our own client, named as the stock interop clients name them.
struct InteropCases {
    let channel: RPCChannel
    let client: Grpc_Testing_TestServiceClient

    init(channel: RPCChannel) {
        self.channel = channel
        self.client = Grpc_Testing_TestServiceClient(channel: channel)
    }

    static let names = [
        "empty_unary", "large_unary", "client_streaming", "server_streaming", "ping_pong",
        "empty_stream", "status_code_and_message", "special_status_message", "custom_metadata",
        "unimplemented_method", "unimplemented_service", "cancel_after_begin",
        "cancel_after_first_response", "timeout_on_sleeping_server",
    ]

    func run(_ name: String) async throws {
        switch name {
        case "empty_unary": try await emptyUnary()
        case "large_unary": try await largeUnary()
        case "client_streaming": try await clientStreaming()
        case "server_streaming": try await serverStreaming()
        case "ping_pong": try await pingPong()
        case "empty_stream": try await emptyStream()
        case "status_code_and_message": try await statusCodeAndMessage()
        case "special_status_message": try await specialStatusMessage()
        case "custom_metadata": try await customMetadata()
        case "unimplemented_method": try await unimplemented(path: "/grpc.testing.TestService/UnimplementedCall")
        case "unimplemented_service": try await unimplemented(path: "/grpc.testing.UnimplementedService/UnimplementedCall")
        case "cancel_after_begin": try await cancelAfterBegin()
        case "cancel_after_first_response": try await cancelAfterFirstResponse()
        case "timeout_on_sleeping_server": try await timeoutOnSleepingServer()
        default: throw InteropCaseFailure(description: "unknown test case \(name)")
        }
    }

    func emptyUnary() async throws {
        _ = try await client.emptyCall(Grpc_Testing_Empty())
    }

    func largeUnary() async throws {
        let response = try await client.unaryCall(InteropRequests.simple(responseSize: 314_159, bodySize: 271_828))
        try InteropRequests.requireZeros(response.payload, count: 314_159)
    }

    func clientStreaming() async throws {
        let call = client.streamingInputCall()
        for size in [27_182, 8, 1_828, 45_904] {
            var request = Grpc_Testing_StreamingInputCallRequest()
            request.payload = InteropRequests.zeros(size)
            try await call.send(request)
        }
        let response = try await call.finish()
        try require(response.aggregatedPayloadSize == 74_922,
                    "aggregated_payload_size \(response.aggregatedPayloadSize), expected 74922")
    }

    func serverStreaming() async throws {
        let sizes = [31_415, 9, 2_653, 58_979]
        let call = client.streamingOutputCall(InteropRequests.streaming(responseSizes: sizes))
        var received: [Int] = []
        for try await response in call {
            try InteropRequests.requireZeros(response.payload, count: response.payload?.body.count ?? 0)
            received.append(response.payload?.body.count ?? 0)
        }
        try require(received == sizes, "response sizes \(received), expected \(sizes)")
    }

    func pingPong() async throws {
        let call = client.fullDuplexCall()
        var responses = call.responses.makeAsyncIterator()
        for (responseSize, requestSize) in [(31_415, 27_182), (9, 8), (2_653, 1_828), (58_979, 45_904)] {
            try await call.send(InteropRequests.streaming(responseSizes: [responseSize], bodySize: requestSize))
            guard let response = try await responses.next() else {
                throw InteropCaseFailure(description: "stream ended before the response of size \(responseSize)")
            }
            try InteropRequests.requireZeros(response.payload, count: responseSize)
        }
        call.closeSend()
        let extra = try await responses.next()
        try require(extra == nil, "a fifth response arrived")
    }

    func emptyStream() async throws {
        let call = client.fullDuplexCall()
        call.closeSend()
        var count = 0
        for try await _ in call.responses { count += 1 }
        try require(count == 0, "\(count) responses on an empty stream")
    }

    func statusCodeAndMessage() async throws {
        try await requireEchoedStatus(message: "test status message", alsoOnFullDuplex: true)
    }

    func specialStatusMessage() async throws {
        try await requireEchoedStatus(
            message: "\t\ntest with whitespace\r\nand Unicode BMP \u{263A} and non-BMP \u{1F608}\t\n",
            alsoOnFullDuplex: false)
    }

    private func requireEchoedStatus(message: String, alsoOnFullDuplex: Bool) async throws {
        var status = Grpc_Testing_EchoStatus()
        status.code = 2
        status.message = message

        var unary = Grpc_Testing_SimpleRequest()
        unary.responseStatus = status
        try await requireError(.unknown, message: message) { _ = try await client.unaryCall(unary) }

        guard alsoOnFullDuplex else { return }
        var streaming = Grpc_Testing_StreamingOutputCallRequest()
        streaming.responseStatus = status
        let call = client.fullDuplexCall()
        try await call.send(streaming)
        call.closeSend()
        try await requireError(.unknown, message: message) { for try await _ in call.responses {} }
    }

    func customMetadata() async throws {
        let initial = ("x-grpc-test-echo-initial", "test_initial_metadata_value")
        let trailing = ("x-grpc-test-echo-trailing-bin", [UInt8]([0xAB, 0xAB, 0xAB]))
        var metadata = Metadata()
        metadata.add(initial.0, initial.1)
        metadata.add(trailing.0, binary: trailing.1)
        let options = CallOptions(metadata: metadata)

        let unary: UnaryResponse<Grpc_Testing_SimpleResponse> = try await channel.unaryCall(
            path: "/grpc.testing.TestService/UnaryCall",
            request: InteropRequests.simple(responseSize: 314_159, bodySize: 271_828),
            options: options)
        try InteropRequests.requireZeros(unary.message.payload, count: 314_159)
        try require(unary.initialMetadata[initial.0] == initial.1, "unary: initial metadata \(unary.initialMetadata)")
        try require(unary.trailingMetadata.binary(trailing.0) == trailing.1, "unary: trailers \(unary.trailingMetadata)")

        let call = client.fullDuplexCall(options: options)
        try await call.send(InteropRequests.streaming(responseSizes: [314_159], bodySize: 271_828))
        call.closeSend()
        var sizes: [Int] = []
        for try await response in call.responses { sizes.append(response.payload?.body.count ?? 0) }
        try require(sizes == [314_159], "full duplex: response sizes \(sizes)")
        let headers = try await call.initialMetadata()
        try require(headers[initial.0] == initial.1, "full duplex: initial metadata \(headers)")
        let trailers = await call.trailingMetadata
        try require(trailers.binary(trailing.0) == trailing.1, "full duplex: trailers \(trailers)")
    }

    func unimplemented(path: String) async throws {
        try await requireError(.unimplemented) {
            let _: Grpc_Testing_Empty = try await channel.unary(path: path, request: Grpc_Testing_Empty(), options: CallOptions())
        }
    }

    func cancelAfterBegin() async throws {
        let call = client.streamingInputCall()
        call.cancel()
        try await requireError(.cancelled) { _ = try await call.finish() }
    }

    func cancelAfterFirstResponse() async throws {
        let call = client.fullDuplexCall()
        var responses = call.responses.makeAsyncIterator()
        try await call.send(InteropRequests.streaming(responseSizes: [31_415], bodySize: 27_182))
        let first = try await responses.next()
        try require(first?.payload?.body.count == 31_415, "first response \(String(describing: first))")
        call.cancel()
        try await requireError(.cancelled) { _ = try await responses.next() }
    }

    func timeoutOnSleepingServer() async throws {
        let call = client.fullDuplexCall(options: CallOptions(timeout: .milliseconds(1)))
        try await requireError(.deadlineExceeded) {
            // The send itself may already fail with the deadline; either way the call must end so.
            try await call.send(InteropRequests.streaming(responseSizes: [], bodySize: 27_182))
            for try await _ in call.responses {}
        }
    }

    private func requireError(
        _ code: StatusCode, message: String? = nil, _ body: () async throws -> Void
    ) async throws {
        do {
            try await body()
        } catch let error as RPCError {
            try require(error.code == code, "status \(error.code) \"\(error.message)\", expected \(code)")
            if let message {
                try require(error.message == message, "status message \(error.message.debugDescription), expected \(message.debugDescription)")
            }
            return
        }
        throw InteropCaseFailure(description: "the call succeeded, expected \(code)")
    }
}

/// The request messages of the cases, and checks of response payloads.
enum InteropRequests {
    static func zeros(_ count: Int) -> Grpc_Testing_Payload {
        var payload = Grpc_Testing_Payload()
        payload.type = .compressable
        payload.body = [UInt8](repeating: 0, count: count)
        return payload
    }

    static func simple(responseSize: Int32, bodySize: Int) -> Grpc_Testing_SimpleRequest {
        var request = Grpc_Testing_SimpleRequest()
        request.responseType = .compressable
        request.responseSize = responseSize
        request.payload = zeros(bodySize)
        return request
    }

    static func streaming(responseSizes: [Int], bodySize: Int? = nil) -> Grpc_Testing_StreamingOutputCallRequest {
        var request = Grpc_Testing_StreamingOutputCallRequest()
        request.responseType = .compressable
        request.responseParameters = responseSizes.map { size in
            var parameters = Grpc_Testing_ResponseParameters()
            parameters.size = Int32(size)
            return parameters
        }
        if let bodySize { request.payload = zeros(bodySize) }
        return request
    }

    static func requireZeros(_ payload: Grpc_Testing_Payload?, count: Int) throws {
        let body = payload?.body ?? []
        try require(body.count == count, "payload of \(body.count) bytes, expected \(count)")
        try require(body.allSatisfy { $0 == 0 }, "payload of \(count) bytes is not all zeros")
    }
}
