/// Emits the proto3 JSON mapping of every message and enum (`ProtoJSONMessage`,
/// `ProtoJSONEnum`, runtime in ProtoCodec/JSON) and the by-name table that
/// google.protobuf.Any needs. The rules of the mapping live in the runtime's value codecs; what
/// is emitted here is the per-field plumbing: names, presence, shapes.
struct JSONEmitter {
    let registry: TypeRegistry
    let messages: MessageEmitter

    static let registryTypeName = "XSCProtoJSONTypes"

    /// protoc's json_name: `unit_price_fen` -> `unitPriceFen` (every underscore capitalises the
    /// next character; unlike the Swift property names, a leading underscore counts too).
    static func jsonName(_ protoName: String) -> String {
        var result = ""
        var upperNext = false
        for char in protoName {
            if char == "_" {
                upperNext = true
            } else if upperNext {
                result += char.uppercased()
                upperNext = false
            } else {
                result.append(char)
            }
        }
        return result
    }

    func emitEnum(_ info: TypeRegistry.EnumInfo, into out: inout CodeWriter) {
        out.block("extension \(info.swiftName): ProtoJSONEnum") { out in
            let values = info.descriptor.values.map { "(\"\($0.name)\", \($0.number))" }.joined(separator: ", ")
            out.line("public static let protoJSONValues: [(name: String, number: Int32)] = [\(values)]")
        }
    }

    /// The message's conformance, then those of its nested messages and enums.
    func emitMessage(_ info: TypeRegistry.MessageInfo, into out: inout CodeWriter) throws {
        let plans = try messages.plans(for: info)
        out.block("extension \(info.swiftName): ProtoJSONMessage") { out in
            switch info.fullName {
            case "google.protobuf.Timestamp", "google.protobuf.Duration":
                let helper = info.fullName == "google.protobuf.Timestamp" ? "timestamp" : "duration"
                out.block("public func protoJSON() -> JSONValue") { out in
                    out.line("ProtoJSON.\(helper)(seconds: seconds, nanos: nanos)")
                }
                out.line()
                out.block("public init(protoJSON json: JSONValue, path: ProtoJSONPath) throws(ProtoJSONError)") { out in
                    out.line("self.init()")
                    out.line("(seconds, nanos) = try ProtoJSON.\(helper)(json, path)")
                }
            case "google.protobuf.Any":
                out.block("public func protoJSON() -> JSONValue") { out in
                    out.line("ProtoJSON.any(typeURL: typeUrl, value: value, registry: \(Self.registryTypeName).all)")
                }
                out.line()
                out.block("public init(protoJSON json: JSONValue, path: ProtoJSONPath) throws(ProtoJSONError)") { out in
                    out.line("self.init()")
                    out.line("(typeUrl, value) = try ProtoJSON.any(json, path, registry: \(Self.registryTypeName).all)")
                }
            default:
                emitEncoder(plans, info: info, into: &out)
                out.line()
                emitDecoder(plans, info: info, into: &out)
            }
        }
        for enumeration in info.descriptor.enums {
            out.line()
            emitEnum(try registry.enumeration(info.fullName + "." + enumeration.name), into: &out)
        }
        for nested in info.descriptor.nestedMessages where !nested.isMapEntry {
            out.line()
            try emitMessage(registry.message(info.fullName + "." + nested.name), into: &out)
        }
    }

    private func emitEncoder(_ plans: [FieldPlan], info: TypeRegistry.MessageInfo, into out: inout CodeWriter) {
        out.block("public func protoJSON() -> JSONValue") { out in
            guard !plans.isEmpty else {
                out.line("JSONValue.object([])")
                return
            }
            out.line("var members: [(String, JSONValue)] = []")
            for plan in plans {
                let json = Self.jsonName(plan.descriptor.name)
                let name = plan.swiftName
                switch plan.shape {
                case .singular:
                    if case .message = plan.element {
                        out.line("if let value = self.\(name) { members.append((\"\(json)\", \(encode(plan.element, "value")))) }")
                    } else {
                        out.line("if \(nonDefault(plan.element, "self." + name)) { members.append((\"\(json)\", \(encode(plan.element, "self." + name)))) }")
                    }
                case .optional:
                    out.line("if let value = self.\(name) { members.append((\"\(json)\", \(encode(plan.element, "value")))) }")
                case .repeated:
                    out.line("if !self.\(name).isEmpty { members.append((\"\(json)\", .array(self.\(name).map { \(encode(plan.element, "$0")) }))) }")
                case .map(_, _, let value):
                    out.block("if !self.\(name).isEmpty") { out in
                        // Sorted by key text: the output is the same for the same message.
                        out.line("let entries = self.\(name).map { (String(describing: $0.key), $0.value) }.sorted { $0.0 < $1.0 }")
                        out.line("members.append((\"\(json)\", .object(entries.map { ($0.0, \(encode(value, "$0.1"))) })))")
                    }
                case .oneofMember(let index):
                    let oneof = Naming.swiftFieldName(info.descriptor.oneofNames[index])
                    out.line("if case .\(name)(let value)? = self.\(oneof) { members.append((\"\(json)\", \(encode(plan.element, "value")))) }")
                }
            }
            out.line("return .object(members)")
        }
    }

    private func emitDecoder(_ plans: [FieldPlan], info: TypeRegistry.MessageInfo, into out: inout CodeWriter) {
        out.block("public init(protoJSON json: JSONValue, path: ProtoJSONPath) throws(ProtoJSONError)") { out in
            out.line("self.init()")
            out.block("for (key, value) in try ProtoJSON.members(json, path)") { out in
                // null is the default value of every field kind we have (no google.protobuf.Value).
                out.line("if case .null = value { continue }")
                guard !plans.isEmpty else {
                    out.line("try path.unknownField(key)")
                    return
                }
                out.switchBlock("key") { out in
                    for plan in plans {
                        let json = Self.jsonName(plan.descriptor.name)
                        let labels = json == plan.descriptor.name ? "\"\(json)\"" : "\"\(json)\", \"\(plan.descriptor.name)\""
                        out.line("case \(labels):")
                        out.indented { out in emitFieldDecode(plan, json: json, info: info, into: &out) }
                    }
                    out.line("default:")
                    out.line("    try path.unknownField(key)")
                }
            }
        }
    }

    private func emitFieldDecode(_ plan: FieldPlan, json: String, info: TypeRegistry.MessageInfo, into out: inout CodeWriter) {
        let name = plan.swiftName
        out.line("let at = path.field(\"\(json)\")")
        switch plan.shape {
        case .singular, .optional:
            out.line("self.\(name) = \(decode(plan.element, "value", "at"))")
        case .repeated:
            out.line("var items: [\(plan.element.swiftType)] = []")
            out.block("for (position, element) in try ProtoJSON.elements(value, at).enumerated()") { out in
                out.line("items.append(\(decode(plan.element, "element", "at.index(position)")))")
            }
            out.line("self.\(name) = items")
        case .map(_, let key, let valueElement):
            out.line("var entries: [\(key.swiftType): \(valueElement.swiftType)] = [:]")
            out.block("for (text, element) in try ProtoJSON.members(value, at)") { out in
                let keyExpression: String
                if case .string = key {
                    keyExpression = "text"
                } else {
                    keyExpression = decode(key, "ProtoJSON.mapKey(text, at)", "at.key(text)")
                }
                out.line("entries[\(keyExpression)] = \(decode(valueElement, "element", "at.key(text)"))")
            }
            out.line("self.\(name) = entries")
        case .oneofMember(let index):
            let oneofName = info.descriptor.oneofNames[index]
            let oneof = Naming.swiftFieldName(oneofName)
            out.line("if self.\(oneof) != nil { throw at.error(\"another member of oneof \(Self.jsonName(oneofName)) is already set\") }")
            out.line("self.\(oneof) = .\(name)(\(decode(plan.element, "value", "at")))")
        }
    }

    private func codecName(_ element: FieldPlan.Element) -> String? {
        switch element {
        case .plain(let type):
            return ["Int32": "int32", "UInt32": "uint32", "Int64": "int64", "UInt64": "uint64",
                    "Double": "double", "Float": "float"][type]
        case .bool: return "bool"
        case .string: return "string"
        case .bytes: return "bytes"
        case .enumeration, .message: return nil
        }
    }

    private func encode(_ element: FieldPlan.Element, _ expression: String) -> String {
        switch element {
        case .enumeration: return "ProtoJSON.enumeration(\(expression))"
        case .message: return "\(expression).protoJSON()"
        default: return "ProtoJSON.\(codecName(element)!)(\(expression))"
        }
    }

    private func decode(_ element: FieldPlan.Element, _ value: String, _ path: String) -> String {
        switch element {
        case .enumeration(let info): return "try ProtoJSON.enumeration(\(value), \(path), as: \(info.swiftName).self)"
        case .message(let info): return "try \(info.swiftName)(protoJSON: \(value), path: \(path))"
        default: return "try ProtoJSON.\(codecName(element)!)(\(value), \(path))"
        }
    }

    private func nonDefault(_ element: FieldPlan.Element, _ expression: String) -> String {
        switch element {
        case .plain: return "\(expression) != 0"
        case .bool: return expression
        case .string, .bytes: return "!\(expression).isEmpty"
        case .enumeration: return "\(expression).rawValue != 0"
        case .message: return "true"
        }
    }

    /// Every message by its full name, for google.protobuf.Any.
    func emitRegistry(_ files: [FileDescriptor]) -> String {
        var out = CodeWriter()
        out.line(Generator.header(source: "every proto file"))
        out.line("import ProtoCodec")
        out.line()
        out.line("/// Every message by full name, so google.protobuf.Any can be written and read as JSON.")
        out.block("public enum \(Self.registryTypeName)") { out in
            out.line("public static let all: [String: ProtoJSONAnyCodec] = make()")
            out.line()
            // One statement per entry: a literal of hundreds of entries is slow to type-check.
            out.block("private static func make() -> [String: ProtoJSONAnyCodec]") { out in
                out.line("var table: [String: ProtoJSONAnyCodec] = [:]")
                for name in registry.messages.keys.sorted() {
                    guard let info = registry.messages[name], !info.descriptor.isMapEntry else { continue }
                    let special = name == "google.protobuf.Timestamp" || name == "google.protobuf.Duration"
                    out.line("table[\"\(name)\"] = ProtoJSONAnyCodec.of(\(info.swiftName).self\(special ? ", hasSpecialForm: true" : ""))")
                }
                out.line("return table")
            }
        }
        return out.text
    }
}
