/// A message carried as its encoded bytes, never decoded: what a proxy forwards. Its wire form
/// is the bytes exactly as received.
public struct OpaqueMessage: ProtoMessage {
    public static let protoMessageName = "xsc.opaque"
    public var bytes: [UInt8]

    public init() { bytes = [] }
    public init(bytes: [UInt8]) { self.bytes = bytes }

    public static func decode(_ bytes: UnsafeRawBufferPointer, arena: ProtoArena) throws(ProtoDecodeError) -> OpaqueMessage {
        OpaqueMessage(bytes: Array(bytes))
    }

    public func encode(appendingTo buffer: inout [UInt8], arena: ProtoArena) {
        buffer.append(contentsOf: bytes)
    }
}
