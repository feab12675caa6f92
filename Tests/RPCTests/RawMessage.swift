import ProtoCodec
import Synchronization
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

/// Counts handlers that saw their task cancelled (deadline or client cancel).
final class CancellationProbe: Sendable {
    let cancelled = Atomic<Int>(0)
}

struct RawEchoService: RPCServiceProvider {
    var probe = CancellationProbe()

    var rpcService: RPCService {
        let probe = self.probe
        return RPCService(name: "test.Echo", methods: [
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
            .clientStreaming("Count") { (requests: RequestStream<RawMessage>, _) -> RawMessage in
                var total = 0
                for try await message in requests { total += message.bytes.count }
                return RawMessage(Array(String(total).utf8))
            },
            .unary("Sleep") { (request: RawMessage, _) -> RawMessage in
                do {
                    try await Task.sleep(for: .seconds(20))
                } catch {
                    probe.cancelled.add(1, ordering: .relaxed)
                    throw error
                }
                return request
            },
            .unary("Metadata") { (request: RawMessage, context: ServerContext) -> RawMessage in
                context.initialMetadata.add("x-initial", context.requestMetadata["x-initial"] ?? "")
                if let bytes = context.requestMetadata.binary("x-trailing-bin") {
                    context.trailingMetadata.add("x-trailing-bin", binary: bytes)
                }
                return request
            },
            .bidiStreaming("Ping") { (requests: RequestStream<RawMessage>, writer: ResponseStreamWriter<RawMessage>, _) in
                for try await message in requests { try await writer.send(message) }
            },
        ])
    }
}
