/// A message's bytes could not be decoded (protobuf-c rejected them).
public struct ProtoDecodeError: Error, Sendable, Equatable, CustomStringConvertible {
    public var message: String
    public init(message: String) { self.message = message }

    public static func invalidWireFormat(_ messageName: String) -> ProtoDecodeError {
        ProtoDecodeError(message: "invalid protobuf encoding of \(messageName)")
    }

    public var description: String { message }
}
