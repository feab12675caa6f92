// PLACEHOLDER: the codec helper replaces this with the real arena.
public final class ProtoArena {
    public init() {}
}
public struct ProtoDecodeError: Error, Sendable, Equatable {
    public var message: String
    public init(message: String) { self.message = message }
}
