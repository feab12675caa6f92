/// A message with the proto3 JSON mapping (https://protobuf.dev/programming-guides/json/):
/// lowerCamelCase member names (the proto names are accepted too), 64-bit integers as
/// strings, enums by name (numbers accepted), bytes as base64, default values omitted,
/// well-known types in their special forms. Every generated message conforms
/// (xsc-codegen's JSONEmitter); nothing is written per message by hand.
public protocol ProtoJSONMessage: ProtoMessage {
    /// The message's JSON form.
    func protoJSON() -> JSONValue
    /// Reads the JSON form; errors name the member by its path from the document root.
    init(protoJSON json: JSONValue, path: ProtoJSONPath) throws(ProtoJSONError)
}

extension ProtoJSONMessage {
    /// Parses JSON text (limits: `JSONParser.Limits`) into the message.
    public init(jsonText bytes: [UInt8], options: ProtoJSONOptions = .init()) throws(ProtoJSONError) {
        let value: JSONValue
        do {
            value = try JSONParser.parse(bytes)
        } catch {
            throw ProtoJSONError(path: "", reason: error.description, isSyntax: true)
        }
        try self.init(protoJSON: value, path: ProtoJSONPath(options: options))
    }

    /// Compact JSON text of the message.
    public func jsonText() -> [UInt8] { JSONWriter.bytes(protoJSON()) }
}

/// A proto enum with its value names, for JSON (names out, names or numbers in).
public protocol ProtoJSONEnum: Sendable {
    init(rawValue: Int32)
    var rawValue: Int32 { get }
    static var protoJSONValues: [(name: String, number: Int32)] { get }
}

public struct ProtoJSONOptions: Sendable {
    /// The JSON mapping's parse option: members the message does not have are skipped instead
    /// of refused (refusing is the mapping's default, and ours: a misspelt field is a mistake
    /// the caller should hear about).
    public var ignoreUnknownFields = false
    /// Bools may also be the strings "true" and "false": for a request built from a URL's query
    /// (`?mineOnly=true`), where every value is text, as gRPC-HTTP transcoding reads them.
    public var boolsFromStrings = false
    public init(ignoreUnknownFields: Bool = false, boolsFromStrings: Bool = false) {
        self.ignoreUnknownFields = ignoreUnknownFields
        self.boolsFromStrings = boolsFromStrings
    }
}

/// Where in the document a value sits (`lines[2].unitPriceFen`), for error messages.
public struct ProtoJSONPath: Sendable {
    public var text: String
    public var options: ProtoJSONOptions

    public init(_ text: String = "", options: ProtoJSONOptions = .init()) {
        self.text = text
        self.options = options
    }

    public func field(_ name: String) -> ProtoJSONPath {
        ProtoJSONPath(text.isEmpty ? name : text + "." + name, options: options)
    }

    public func index(_ position: Int) -> ProtoJSONPath { ProtoJSONPath(text + "[\(position)]", options: options) }

    public func key(_ key: String) -> ProtoJSONPath { ProtoJSONPath(text + "[\"\(key)\"]", options: options) }

    public func error(_ reason: String) -> ProtoJSONError { ProtoJSONError(path: text, reason: reason) }

    /// A member the message does not have: refused unless the options say to skip it.
    public func unknownField(_ name: String) throws(ProtoJSONError) {
        guard !options.ignoreUnknownFields else { return }
        throw field(name).error("unknown field")
    }
}

/// A JSON document that does not map onto the message: the member's path and why.
public struct ProtoJSONError: Error, Sendable, Equatable, CustomStringConvertible {
    public var path: String
    public var reason: String
    /// The text was not JSON at all (as opposed to JSON of the wrong shape).
    public var isSyntax = false

    public init(path: String, reason: String, isSyntax: Bool = false) {
        self.path = path
        self.reason = reason
        self.isSyntax = isSyntax
    }

    public var description: String { path.isEmpty ? reason : "\(path): \(reason)" }
}
