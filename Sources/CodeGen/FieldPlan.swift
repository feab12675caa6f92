/// How one proto field maps to a Swift property and to protobuf-c struct members.
struct FieldPlan {
    /// The type of one value (the element, for repeated fields).
    enum Element {
        /// Numeric types whose Swift and C representations are identical.
        case plain(swiftType: String)
        case bool
        case string
        case bytes
        case enumeration(TypeRegistry.EnumInfo)
        case message(TypeRegistry.MessageInfo)
    }

    enum Shape {
        case singular
        /// proto3 `optional`: C side is the synthetic one-member oneof `_<name>` of our rewrite.
        case optional
        case repeated
        case map(entry: TypeRegistry.MessageInfo, key: Element, value: Element)
        case oneofMember(oneofIndex: Int)
    }

    let descriptor: FieldDescriptor
    let element: Element
    let shape: Shape
    /// Singular/oneof message field that closes an inline cycle: stored out of line.
    let isBoxed: Bool

    var swiftName: String { Naming.swiftFieldName(descriptor.name) }
    /// The property name without backticks, for building derived identifiers.
    var bareSwiftName: String { Naming.lowerCamel(descriptor.name) }
    var boxStorageName: String { "_" + bareSwiftName }
    var cName: String { Naming.cFieldName(descriptor.name) }
    var cCountName: String { "n_" + cName }
    var cOptionalCaseName: String { "_" + descriptor.name.lowercased() + "_case" }

    init(_ field: FieldDescriptor, in container: TypeRegistry.MessageInfo, registry: TypeRegistry) throws {
        descriptor = field
        element = try Self.element(of: field, registry: registry)
        if field.isRepeated, field.kind == .message, try registry.message(field.typeName).descriptor.isMapEntry {
            let entry = try registry.message(field.typeName)
            guard let key = entry.descriptor.fields.first(where: { $0.number == 1 }),
                  let value = entry.descriptor.fields.first(where: { $0.number == 2 }) else {
                throw GeneratorError("map entry \(entry.fullName) lacks key or value")
            }
            shape = .map(entry: entry, key: try Self.element(of: key, registry: registry),
                         value: try Self.element(of: value, registry: registry))
        } else if field.isRepeated {
            shape = .repeated
        } else if field.isProto3Optional {
            shape = .optional
        } else if let index = field.oneofIndex {
            shape = .oneofMember(oneofIndex: index)
        } else {
            shape = .singular
        }
        if case .message = element, !field.isRepeated {
            isBoxed = registry.needsBox(container: container.fullName, target: field.typeName)
        } else {
            isBoxed = false
        }
    }

    static func element(of field: FieldDescriptor, registry: TypeRegistry) throws -> Element {
        switch field.kind {
        case .double: return .plain(swiftType: "Double")
        case .float: return .plain(swiftType: "Float")
        case .int64, .sint64, .sfixed64: return .plain(swiftType: "Int64")
        case .uint64, .fixed64: return .plain(swiftType: "UInt64")
        case .int32, .sint32, .sfixed32: return .plain(swiftType: "Int32")
        case .uint32, .fixed32: return .plain(swiftType: "UInt32")
        case .bool: return .bool
        case .string: return .string
        case .bytes: return .bytes
        case .enumeration: return .enumeration(try registry.enumeration(field.typeName))
        case .message: return .message(try registry.message(field.typeName))
        case .group: throw GeneratorError("groups are not supported (field \(field.name))")
        }
    }
}

extension FieldPlan.Element {
    var swiftType: String {
        switch self {
        case .plain(let type): return type
        case .bool: return "Bool"
        case .string: return "String"
        case .bytes: return "[UInt8]"
        case .enumeration(let info): return info.swiftName
        case .message(let info): return info.swiftName
        }
    }

    /// proto3 default of a non-optional value.
    var defaultValue: String {
        switch self {
        case .plain: return "0"
        case .bool: return "false"
        case .string: return "\"\""
        case .bytes: return "[]"
        case .enumeration(let info): return "." + info.defaultCase
        case .message(let info): return info.swiftName + "()"
        }
    }

    /// Type of one element in a protobuf-c array of this element.
    var cArrayElementType: String {
        switch self {
        case .plain(let type): return type
        case .bool: return "protobuf_c_boolean"
        case .string: return "UnsafeMutablePointer<CChar>?"
        case .bytes: return "ProtobufCBinaryData"
        case .enumeration(let info): return info.cTypeName
        case .message(let info): return "UnsafeMutablePointer<\(info.cTypeName)>?"
        }
    }

    /// Swift value of the C value `expression`. Message pointers that are NULL read as the
    /// default message (only happens in malformed-but-accepted corners such as map values).
    func fromC(_ expression: String) -> String {
        switch self {
        case .plain: return expression
        case .bool: return "(\(expression) != 0)"
        case .string: return "protoString(\(expression))"
        case .bytes: return "protoBytes(\(expression))"
        case .enumeration(let info): return "\(info.swiftName)(rawValue: Int32(truncatingIfNeeded: \(expression).rawValue))"
        case .message(let info): return "(\(expression).map { \(info.swiftName)(_cMessage: $0) } ?? \(info.swiftName)())"
        }
    }

    /// C value of the Swift value `expression`; arena-backed where it needs memory.
    func toC(_ expression: String) -> String {
        switch self {
        case .plain: return expression
        case .bool: return "(\(expression) ? 1 : 0)"
        case .string: return "arena.cString(\(expression))"
        case .bytes: return "arena.binaryData(\(expression))"
        case .enumeration(let info): return "\(info.cTypeName)(rawValue: .init(truncatingIfNeeded: \(expression).rawValue))"
        case .message: return "\(expression)._cMessage(in: arena)"
        }
    }

    var isPlain: Bool {
        if case .plain = self { return true }
        return false
    }
}
