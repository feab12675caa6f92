/// A parsed JSON document, kept close to the text: numbers keep their literal so an int64
/// beyond 2^53 or a decimal is never rounded through Double before the proto mapping reads it,
/// and objects keep member order (the writer emits fields in proto declaration order).
public enum JSONValue: Sendable, Equatable {
    case null
    case bool(Bool)
    /// The number's literal text, as written (already checked against the JSON grammar).
    case number(String)
    case string(String)
    case array([JSONValue])
    case object([(String, JSONValue)])

    public static func == (lhs: JSONValue, rhs: JSONValue) -> Bool {
        switch (lhs, rhs) {
        case (.null, .null): return true
        case (.bool(let a), .bool(let b)): return a == b
        case (.number(let a), .number(let b)): return a == b
        case (.string(let a), .string(let b)): return a == b
        case (.array(let a), .array(let b)): return a == b
        case (.object(let a), .object(let b)):
            return a.count == b.count && zip(a, b).allSatisfy { $0.0 == $1.0 && $0.1 == $1.1 }
        default: return false
        }
    }

    /// The member `name` of an object (the first, if a sender repeated it).
    public subscript(name: String) -> JSONValue? {
        guard case .object(let members) = self else { return nil }
        return members.first { $0.0 == name }?.1
    }

    /// The text of a JSON value (compact; UTF-8).
    public var text: String { String(decoding: JSONWriter.bytes(self), as: UTF8.self) }

    /// Parses `text` (see `JSONParser` for the limits).
    public static func parse(_ text: String, limits: JSONParser.Limits = .init()) throws(JSONSyntaxError) -> JSONValue {
        try JSONParser.parse(Array(text.utf8), limits: limits)
    }
}
