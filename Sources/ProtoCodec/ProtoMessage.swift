/// A protobuf message as a Swift value. Generated types in `Messages` conform; their wire form is
/// always produced and read by the protobuf-c code that protoc-c generates from `proto/`.
public protocol ProtoMessage: Sendable, Equatable {
    init()
    /// Fully qualified proto name, e.g. `bench.v1.Order`.
    static var protoMessageName: String { get }
    /// Decodes one complete message. Scratch memory comes from `arena`; the result owns copies
    /// of everything it needs, so the arena may be reset as soon as this returns.
    static func decode(_ bytes: UnsafeRawBufferPointer, arena: ProtoArena) throws(ProtoDecodeError) -> Self
    /// Appends the packed message to `buffer`, using `arena` for the temporary C structs.
    func encode(appendingTo buffer: inout [UInt8], arena: ProtoArena)
}

extension ProtoMessage {
    /// The packed message. It builds a private arena, small (`ProtoArena.perMessageChunkSize`), growing
    /// only for large messages; hot paths may pass the loop's arena to
    /// `encode(appendingTo:arena:)` instead.
    public func serializedBytes() -> [UInt8] {
        var buffer: [UInt8] = []
        encode(appendingTo: &buffer, arena: ProtoArena(firstChunkSize: ProtoArena.perMessageChunkSize))
        return buffer
    }

    /// Decodes `serializedBytes` (convenience twin of `serializedBytes()`).
    public init(serializedBytes bytes: [UInt8]) throws(ProtoDecodeError) {
        let arena = ProtoArena(firstChunkSize: ProtoArena.perMessageChunkSize)
        // withUnsafeBytes only rethrows untyped errors: narrowed again (a Result carrying the
        // typed one needed its metadata at run time in unspecialised callers).
        do {
            self = try bytes.withUnsafeBytes { raw in try Self.decode(raw, arena: arena) }
        } catch {
            throw Self.narrowed(error)
        }
    }
}
