/// The value codecs the generated JSON conformances call, one per proto value kind, so the
/// generated code is a flat list of calls and the mapping's rules live here once.
public enum ProtoJSON {
    // MARK: Out

    public static func int32(_ value: Int32) -> JSONValue { .number(String(value)) }
    public static func uint32(_ value: UInt32) -> JSONValue { .number(String(value)) }
    /// 64-bit integers are strings: JavaScript numbers lose precision past 2^53.
    public static func int64(_ value: Int64) -> JSONValue { .string(String(value)) }
    public static func uint64(_ value: UInt64) -> JSONValue { .string(String(value)) }
    public static func bool(_ value: Bool) -> JSONValue { .bool(value) }
    public static func string(_ value: String) -> JSONValue { .string(value) }
    public static func bytes(_ value: [UInt8]) -> JSONValue { .string(Base64.encode(value)) }

    public static func double(_ value: Double) -> JSONValue {
        if value.isNaN { return .string("NaN") }
        if value.isInfinite { return .string(value < 0 ? "-Infinity" : "Infinity") }
        if value == value.rounded(), abs(value) < 1e15 { return .number(String(Int64(value))) }
        return .number(String(value))
    }

    public static func float(_ value: Float) -> JSONValue {
        if value.isNaN || value.isInfinite { return double(Double(value)) }
        if value == value.rounded(), abs(value) < 1e7 { return .number(String(Int64(value))) }
        return .number(String(value))
    }

    /// An enum by its value name; a number this build has no name for stays a number.
    public static func enumeration<E: ProtoJSONEnum>(_ value: E) -> JSONValue {
        let number = value.rawValue
        if let entry = E.protoJSONValues.first(where: { $0.number == number }) { return .string(entry.name) }
        return .number(String(number))
    }

    // MARK: In

    public static func members(_ json: JSONValue, _ path: ProtoJSONPath) throws(ProtoJSONError) -> [(String, JSONValue)] {
        guard case .object(let members) = json else { throw path.error("expected an object") }
        return members
    }

    public static func elements(_ json: JSONValue, _ path: ProtoJSONPath) throws(ProtoJSONError) -> [JSONValue] {
        guard case .array(let elements) = json else { throw path.error("expected an array") }
        return elements
    }

    public static func string(_ json: JSONValue, _ path: ProtoJSONPath) throws(ProtoJSONError) -> String {
        guard case .string(let text) = json else { throw path.error("expected a string") }
        return text
    }

    public static func bool(_ json: JSONValue, _ path: ProtoJSONPath) throws(ProtoJSONError) -> Bool {
        switch json {
        case .bool(let flag): return flag
        case .string("true") where path.options.boolsFromStrings: return true
        case .string("false") where path.options.boolsFromStrings: return false
        default: throw path.error("expected true or false")
        }
    }

    public static func bytes(_ json: JSONValue, _ path: ProtoJSONPath) throws(ProtoJSONError) -> [UInt8] {
        guard case .string(let text) = json else { throw path.error("expected a base64 string") }
        // The mapping accepts standard and URL-safe base64, padded or not.
        let standard = String(text.map { $0 == "-" ? "+" : $0 == "_" ? "/" : $0 })
        guard let bytes = Base64.decode(standard) else { throw path.error("not valid base64") }
        return bytes
    }

    public static func int32(_ json: JSONValue, _ path: ProtoJSONPath) throws(ProtoJSONError) -> Int32 {
        guard let value = Int32(exactly: try integer(json, path, min: Double(Int32.min), max: Double(Int32.max))) else {
            throw path.error("out of range for int32")
        }
        return value
    }

    public static func uint32(_ json: JSONValue, _ path: ProtoJSONPath) throws(ProtoJSONError) -> UInt32 {
        guard let value = UInt32(exactly: try integer(json, path, min: 0, max: Double(UInt32.max))) else {
            throw path.error("out of range for uint32")
        }
        return value
    }

    public static func int64(_ json: JSONValue, _ path: ProtoJSONPath) throws(ProtoJSONError) -> Int64 {
        let literal = try numericText(json, path)
        if let exact = Int64(literal) { return exact }
        guard let value = Int64(exactly: try integralDouble(literal, path)) else { throw path.error("out of range for int64") }
        return value
    }

    public static func uint64(_ json: JSONValue, _ path: ProtoJSONPath) throws(ProtoJSONError) -> UInt64 {
        let literal = try numericText(json, path)
        if let exact = UInt64(literal) { return exact }
        guard let value = UInt64(exactly: try integralDouble(literal, path)) else { throw path.error("out of range for uint64") }
        return value
    }

    public static func double(_ json: JSONValue, _ path: ProtoJSONPath) throws(ProtoJSONError) -> Double {
        if case .string(let text) = json {
            switch text {
            case "NaN": return .nan
            case "Infinity": return .infinity
            case "-Infinity": return -.infinity
            default: break
            }
        }
        let literal = try numericText(json, path)
        guard let value = Double(literal), value.isFinite else { throw path.error("not a number") }
        return value
    }

    public static func float(_ json: JSONValue, _ path: ProtoJSONPath) throws(ProtoJSONError) -> Float {
        let value = try double(json, path)
        if value.isFinite && abs(value) > Double(Float.greatestFiniteMagnitude) { throw path.error("out of range for float") }
        return Float(value)
    }

    /// An enum by name or by number (unknown numbers are kept: proto3 enums are open).
    public static func enumeration<E: ProtoJSONEnum>(_ json: JSONValue, _ path: ProtoJSONPath, as type: E.Type) throws(ProtoJSONError) -> E {
        switch json {
        case .string(let name):
            guard let entry = E.protoJSONValues.first(where: { $0.name == name }) else {
                let known = E.protoJSONValues.map(\.name).joined(separator: ", ")
                throw path.error("unknown value \"\(name)\"; expected one of \(known)")
            }
            return E(rawValue: entry.number)
        case .number:
            return E(rawValue: try int32(json, path))
        default:
            throw path.error("expected an enum value name")
        }
    }

    /// A map key of a non-string key type, read from its JSON (string) form.
    public static func mapKey(_ key: String, _ path: ProtoJSONPath) -> JSONValue {
        key == "true" || key == "false" ? .bool(key == "true") : .string(key)
    }

    // MARK: Numbers

    /// A number's literal, from a JSON number or a string holding one (the mapping accepts both).
    private static func numericText(_ json: JSONValue, _ path: ProtoJSONPath) throws(ProtoJSONError) -> String {
        switch json {
        case .number(let literal):
            return literal
        case .string(let text):
            // Re-checked against the JSON number grammar: "0x10", " 5" or "1_000" are refused.
            guard case .number(let literal)? = try? JSONParser.parse(Array(text.utf8)) else {
                throw path.error("expected a number")
            }
            return literal
        default:
            throw path.error("expected a number")
        }
    }

    private static func integralDouble(_ literal: String, _ path: ProtoJSONPath) throws(ProtoJSONError) -> Double {
        guard let value = Double(literal), value.isFinite else { throw path.error("expected a number") }
        guard value == value.rounded() else { throw path.error("expected an integer") }
        return value
    }

    private static func integer(_ json: JSONValue, _ path: ProtoJSONPath, min: Double, max: Double) throws(ProtoJSONError) -> Int64 {
        let literal = try numericText(json, path)
        if let exact = Int64(literal) {
            guard Double(exact) >= min, Double(exact) <= max else { throw path.error("out of range") }
            return exact
        }
        let value = try integralDouble(literal, path)
        guard value >= min, value <= max else { throw path.error("out of range") }
        return Int64(value)
    }
}
