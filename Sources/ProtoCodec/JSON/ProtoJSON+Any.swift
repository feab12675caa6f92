/// google.protobuf.Any in JSON: `{"@type": "type.googleapis.com/pkg.Msg", ...the message's
/// members}`, or `{"@type": ..., "value": <special form>}` for well-known types with a special
/// form. Needs to know every message by name: the generated `XSCProtoJSONTypes` registers
/// them, and the runtime finds them through this table.
public struct ProtoJSONAnyCodec: Sendable {
    public var toJSON: @Sendable ([UInt8]) throws -> JSONValue
    public var fromJSON: @Sendable (JSONValue, ProtoJSONPath) throws -> [UInt8]
    /// Timestamp, Duration and the like: their JSON is not an object, so Any wraps it in `value`.
    public var hasSpecialForm: Bool

    public init(toJSON: @escaping @Sendable ([UInt8]) throws -> JSONValue,
                fromJSON: @escaping @Sendable (JSONValue, ProtoJSONPath) throws -> [UInt8], hasSpecialForm: Bool) {
        self.toJSON = toJSON
        self.fromJSON = fromJSON
        self.hasSpecialForm = hasSpecialForm
    }

    public static func of<M: ProtoJSONMessage>(_ type: M.Type, hasSpecialForm: Bool = false) -> ProtoJSONAnyCodec {
        ProtoJSONAnyCodec(toJSON: { try M(serializedBytes: $0).protoJSON() },
                          fromJSON: { json, path in try M(protoJSON: json, path: path).serializedBytes() },
                          hasSpecialForm: hasSpecialForm)
    }
}

extension ProtoJSON {
    public static func any(typeURL: String, value: [UInt8], registry: [String: ProtoJSONAnyCodec]) -> JSONValue {
        let name = typeURL.split(separator: "/").last.map(String.init) ?? typeURL
        guard let codec = registry[name], let json = try? codec.toJSON(value) else {
            // Not a message of ours (or not decodable): its bytes, so nothing is lost.
            return .object([("@type", .string(typeURL)), ("value", bytes(value))])
        }
        if codec.hasSpecialForm { return .object([("@type", .string(typeURL)), ("value", json)]) }
        guard case .object(let members) = json else { return .object([("@type", .string(typeURL)), ("value", json)]) }
        return .object([("@type", .string(typeURL))] + members)
    }

    public static func any(_ json: JSONValue, _ path: ProtoJSONPath, registry: [String: ProtoJSONAnyCodec])
        throws(ProtoJSONError) -> (typeURL: String, value: [UInt8]) {
        var members = try self.members(json, path)
        guard let position = members.firstIndex(where: { $0.0 == "@type" }) else { throw path.field("@type").error("missing") }
        let typeURL = try string(members[position].1, path.field("@type"))
        members.remove(at: position)
        let name = typeURL.split(separator: "/").last.map(String.init) ?? typeURL
        guard let codec = registry[name] else { throw path.field("@type").error("unknown message type \(typeURL)") }
        let inner: JSONValue
        if codec.hasSpecialForm {
            guard let value = members.first(where: { $0.0 == "value" })?.1 else { throw path.field("value").error("missing") }
            inner = value
        } else {
            inner = .object(members)
        }
        do {
            return (typeURL, try codec.fromJSON(inner, path))
        } catch let error as ProtoJSONError {
            throw error
        } catch {
            throw path.error("cannot encode the value")
        }
    }
}
