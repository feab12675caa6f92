import ProtoCodec
@testable import RPC

/// A message whose wire form is its bytes as they are: lets the transport be tested without
/// generated code (protobuf encodes an empty message as zero bytes, so this stays valid).
struct RawMessage: ProtoMessage {
    static let protoMessageName = "test.Raw"
    var bytes: [UInt8] = []

    init() {}
    init(_ bytes: [UInt8]) { self.bytes = bytes }

    static func decode(_ bytes: UnsafeRawBufferPointer, arena: ProtoArena) throws(ProtoDecodeError) -> RawMessage {
        RawMessage(Array(bytes))
    }

    func encode(appendingTo buffer: inout [UInt8], arena: ProtoArena) {
        buffer.append(contentsOf: bytes)
    }
}

struct RawEchoService: RPCServiceProvider {
    var rpcService: RPCService {
        RPCService(name: "test.Echo", methods: [
            .unary("Echo") { (request: RawMessage, _) in request },
            .unary("Fail") { (_: RawMessage, _) -> RawMessage in
                throw RPCError(code: .failedPrecondition, message: "nope ☺")
            },
            .serverStreaming("Repeat") { (request: RawMessage, writer: ResponseStreamWriter<RawMessage>, _) in
                for _ in 0..<3 { try await writer.send(request) }
            },
            .clientStreaming("Concat") { (requests: RequestStream<RawMessage>, _) -> RawMessage in
                var all: [UInt8] = []
                for try await message in requests { all += message.bytes }
                return RawMessage(all)
            },
            .bidiStreaming("Ping") { (requests: RequestStream<RawMessage>, writer: ResponseStreamWriter<RawMessage>, _) in
                for try await message in requests { try await writer.send(message) }
            },
        ])
    }
}
