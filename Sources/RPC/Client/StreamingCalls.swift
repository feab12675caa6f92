import ProtoCodec

/// What every streaming call shares: its loop-side stream and the hops to reach it.
public class StreamingCallBase: @unchecked Sendable {
    let channel: RPCChannel
    let stream: ClientStream

    init(channel: RPCChannel, path: String, options: CallOptions, start: @escaping (ClientStream) -> Void) {
        self.channel = channel
        self.stream = channel.makeStream(path: path, options: options)
        let stream = self.stream
        let core = channel.core
        core.loop.execute {
            start(stream)
            core.start(stream)
        }
    }

    /// The server's response headers (waits for them).
    public func initialMetadata() async throws -> Metadata {
        let stream = self.stream
        return try await channel.onLoop { continuation in
            stream.waitForHeaders { continuation.resume(with: $0.mapError { $0 }) }
        }
    }

    /// Trailing metadata; complete once the call has ended.
    public var trailingMetadata: Metadata {
        get async {
            let stream = self.stream
            return (try? await channel.onLoop { continuation in
                continuation.resume(returning: stream.trailingMetadata)
            }) ?? Metadata()
        }
    }

    /// Ends the call at once: the server sees RST_STREAM(CANCEL), readers see CANCELLED.
    public func cancel() { channel.cancelOnLoop(stream) }

    func receive<Message: ProtoMessage>(_ type: Message.Type) async throws -> Message? {
        let stream = self.stream
        let channel = self.channel
        return try await withTaskCancellationHandler {
            try await channel.onLoop { (continuation: CheckedContinuation<Message?, any Error>) in
                stream.nextResponse { result in
                    switch result {
                    case .success(nil): continuation.resume(returning: nil)
                    case .success(let bytes?): continuation.resume(with: channel.decode(bytes, as: Message.self).map { $0 }.mapError { $0 })
                    case .failure(let error): continuation.resume(throwing: error)
                    }
                }
            }
        } onCancel: {
            channel.cancelOnLoop(stream)
        }
    }

    func sendMessage<Message: ProtoMessage>(_ message: Message) async throws {
        let stream = self.stream
        let channel = self.channel
        try await channel.onLoop { (continuation: CheckedContinuation<Void, any Error>) in
            do {
                try stream.send(channel.frame(message))
            } catch {
                continuation.resume(throwing: error)
                return
            }
            stream.whenWritable { failure in
                if let failure { continuation.resume(throwing: failure) } else { continuation.resume() }
            }
        }
    }

    func closeSending() {
        let stream = self.stream
        channel.core.loop.execute { stream.closeSend() }
    }
}

/// Responses of a server-streaming or bidirectional call, in order.
public struct ResponseMessages<Message: ProtoMessage>: AsyncSequence, Sendable {
    public typealias Element = Message
    let call: StreamingCallBase

    public struct AsyncIterator: AsyncIteratorProtocol {
        let call: StreamingCallBase
        public mutating func next() async throws -> Message? { try await call.receive(Message.self) }
    }

    public func makeAsyncIterator() -> AsyncIterator { AsyncIterator(call: call) }
}

/// A call with one request and a stream of responses; iterate it for the responses.
public final class ServerStreamingCall<Response: ProtoMessage>: StreamingCallBase, AsyncSequence, @unchecked Sendable {
    public typealias Element = Response

    public func makeAsyncIterator() -> ResponseMessages<Response>.AsyncIterator {
        ResponseMessages<Response>(call: self).makeAsyncIterator()
    }
}

/// A call with a stream of requests and one response.
public final class ClientStreamingCall<Request: ProtoMessage, Response: ProtoMessage>: StreamingCallBase, @unchecked Sendable {
    public func send(_ message: Request) async throws { try await sendMessage(message) }

    /// Half-closes and waits for the single response.
    public func finish() async throws -> Response {
        closeSending()
        guard let response = try await receive(Response.self) else {
            throw RPCError(code: .unimplemented, message: "the server sent no response message")
        }
        while try await receive(Response.self) != nil {}
        return response
    }
}

/// A call with streams both ways.
public final class BidiStreamingCall<Request: ProtoMessage, Response: ProtoMessage>: StreamingCallBase, @unchecked Sendable {
    public func send(_ message: Request) async throws { try await sendMessage(message) }
    public func closeSend() { closeSending() }
    public var responses: ResponseMessages<Response> { ResponseMessages(call: self) }
}

extension RPCChannel {
    public func serverStreaming<Request: ProtoMessage, Response: ProtoMessage>(
        path: String, request: Request, options: CallOptions = CallOptions()
    ) -> ServerStreamingCall<Response> {
        let framed = frame(request)
        return ServerStreamingCall(channel: self, path: path, options: options) { stream in
            try? stream.send(framed)
            stream.closeSend()
        }
    }

    public func clientStreaming<Request: ProtoMessage, Response: ProtoMessage>(
        path: String, options: CallOptions = CallOptions()
    ) -> ClientStreamingCall<Request, Response> {
        ClientStreamingCall(channel: self, path: path, options: options) { _ in }
    }

    public func bidiStreaming<Request: ProtoMessage, Response: ProtoMessage>(
        path: String, options: CallOptions = CallOptions()
    ) -> BidiStreamingCall<Request, Response> {
        BidiStreamingCall(channel: self, path: path, options: options) { _ in }
    }
}
