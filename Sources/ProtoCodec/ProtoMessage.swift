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
