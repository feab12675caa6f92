import ProtoCodec

// PLACEHOLDER: replaced by the real server implementation (issue 2, in progress).
public final class ServerContext: @unchecked Sendable {
    public let path: String
    public let requestMetadata: Metadata
    public var initialMetadata = Metadata()
    public var trailingMetadata = Metadata()
    init(path: String, requestMetadata: Metadata) {
        self.path = path
        self.requestMetadata = requestMetadata
    }
}

public final class RequestStream<Message: ProtoMessage>: AsyncSequence, @unchecked Sendable {
    public typealias Element = Message
    public struct AsyncIterator: AsyncIteratorProtocol {
        public mutating func next() async throws -> Message? { nil }
    }
    public func makeAsyncIterator() -> AsyncIterator { AsyncIterator() }
}

public final class ResponseStreamWriter<Message: ProtoMessage>: @unchecked Sendable {
    public func send(_ message: Message) async throws {}
}

final class ServerCall: @unchecked Sendable {
    func runUnary<Req: ProtoMessage, Resp: ProtoMessage>(_ handler: UnaryHandler<Req, Resp>) async {}
    func runServerStreaming<Req: ProtoMessage, Resp: ProtoMessage>(_ handler: ServerStreamingHandler<Req, Resp>) async {}
    func runClientStreaming<Req: ProtoMessage, Resp: ProtoMessage>(_ handler: ClientStreamingHandler<Req, Resp>) async {}
    func runBidiStreaming<Req: ProtoMessage, Resp: ProtoMessage>(_ handler: BidiStreamingHandler<Req, Resp>) async {}
}
