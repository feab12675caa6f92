/// The parts of `google/protobuf/descriptor.proto` the generator needs.
public struct FileDescriptor: Sendable {
    public var name = ""
    public var package = ""
    public var dependencies: [String] = []
    public var messages: [MessageDescriptor] = []
    public var enums: [EnumDescriptor] = []
    public var services: [ServiceDescriptor] = []
    public var syntax = ""
    /// The exact bytes of this FileDescriptorProto in the set (embedded for reflection).
    public var serialized: [UInt8] = []
    public init() {}
}

public struct MessageDescriptor: Sendable {
    public var name = ""
    public var fields: [FieldDescriptor] = []
    public var nestedMessages: [MessageDescriptor] = []
    public var enums: [EnumDescriptor] = []
    public var oneofNames: [String] = []
    public var isMapEntry = false
    public init() {}
}

public struct FieldDescriptor: Sendable {
    public enum Label: Int, Sendable { case optional = 1, required = 2, repeated = 3 }

    public enum Kind: Int, Sendable {
        case double = 1, float = 2, int64 = 3, uint64 = 4, int32 = 5, fixed64 = 6, fixed32 = 7, bool = 8
        case string = 9, group = 10, message = 11, bytes = 12, uint32 = 13, enumeration = 14
        case sfixed32 = 15, sfixed64 = 16, sint32 = 17, sint64 = 18
    }

    public var name = ""
    public var number: Int32 = 0
    public var label: Label = .optional
    public var kind: Kind = .int32
    /// Fully qualified with a leading dot, for message and enum fields.
    public var typeName = ""
    public var oneofIndex: Int?
    /// Declared `optional` in proto3 (its oneof is synthetic).
    public var isProto3Optional = false
    public var packedOption: Bool?
    public init() {}

    public var isRepeated: Bool { label == .repeated }
}

public struct EnumDescriptor: Sendable {
    public var name = ""
    public var values: [(name: String, number: Int32)] = []
    public init() {}
}

public struct ServiceDescriptor: Sendable {
    public var name = ""
    public var methods: [MethodDescriptor] = []
    public init() {}
}

public struct MethodDescriptor: Sendable {
    public var name = ""
    public var inputType = ""
    public var outputType = ""
    public var clientStreaming = false
    public var serverStreaming = false
    public init() {}
}
