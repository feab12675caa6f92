import ProtoCodec

/// The request messages of a client-streaming or bidirectional call, in order. Iteration ends
/// when the client half-closes; it throws when the call is cancelled or a message is broken.
public struct RequestStream<Message: ProtoMessage>: AsyncSequence, Sendable {
    public typealias Element = Message
    let call: ServerCall

    public struct AsyncIterator: AsyncIteratorProtocol {
        let call: ServerCall

        public mutating func next() async throws -> Message? {
            guard let bytes = try await call.nextRequest() else { return nil }
            do {
                return try Message.decode(bytes: bytes, arena: call.arena)
            } catch {
                throw RPCError.undecodableRequest(error, messageName: Message.protoMessageName)
            }
        }
    }

    public func makeAsyncIterator() -> AsyncIterator { AsyncIterator(call: call) }
}
