/// A message's bytes could not be decoded (protobuf-c rejected them).
public struct ProtoDecodeError: Error, Sendable, Equatable, CustomStringConvertible {
    public var message: String
    /// Set when the bytes were well-formed but a string field broke proto3's rules (invalid
    /// UTF-8, or a NUL protobuf-c would cut it at): the caller's data is wrong, not the encoding.
    public var invalidStringField: String?

    public init(message: String, invalidStringField: String? = nil) {
        self.message = message
        self.invalidStringField = invalidStringField
    }

    public static func invalidString(field: String, reason: String) -> ProtoDecodeError {
        ProtoDecodeError(message: "\(field): \(reason)", invalidStringField: field)
    }

    public static func invalidWireFormat(_ messageName: String) -> ProtoDecodeError {
        ProtoDecodeError(message: "invalid protobuf encoding of \(messageName)")
    }

    public var description: String { message }
}
