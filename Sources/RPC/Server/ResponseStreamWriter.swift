import ProtoCodec

/// Sends the response messages of a streaming call. `send` waits while the client reads
/// slower than the handler writes, and throws once the call has ended.
public struct ResponseStreamWriter<Message: ProtoMessage>: Sendable {
    let call: ServerCall

    public func send(_ message: Message) async throws {
        try call.send(message)
        try await call.waitForDrain()
    }
}
