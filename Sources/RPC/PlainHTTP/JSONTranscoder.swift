import Messages
import ProtoCodec

/// gRPC-JSON transcoding for a route table: finds the route of a plain HTTP request, builds
/// the request message(s) from its path, query and JSON body, calls the method on a channel
/// and writes the answer as JSON (or as server-sent events / JSON lines for a server stream).
/// The caller (the gateway) decides admission and which channel and metadata to use.
public struct JSONTranscoder: Sendable {
    public let routes: [JSONRoute]
    /// Most request messages one client-streaming request may carry.
    public var maxStreamedRequests = 500
    /// A server-sent-events feed with nothing to send writes a comment this often (nil: never).
    public var feedHeartbeat: Duration? = .seconds(15)

    public init(routes: [JSONRoute]) {
        self.routes = routes
    }

    /// The route of `request`: NOT_FOUND for a path no route has, UNIMPLEMENTED (405) for a
    /// path that exists with another method.
    public func route(for request: PlainHTTPRequest) -> Result<(JSONRoute, [(String, String)]), JSONRouteMiss> {
        let path = request.path
        var allowed: [String] = []
        for route in routes {
            guard let captured = route.match(path) else { continue }
            if route.method == request.method { return .success((route, captured)) }
            allowed.append(route.method)
        }
        if !allowed.isEmpty {
            return .failure(JSONRouteMiss(error: RPCError(code: .unimplemented, message: "method \(request.method) is not allowed on \(path)"),
                                          httpStatus: 405, allow: allowed.joined(separator: ", ")))
        }
        return .failure(JSONRouteMiss(error: RPCError(code: .notFound, message: "no such resource: \(path)"), httpStatus: 404))
    }

    /// The packed request messages (several for a client-streaming route), or INVALID_ARGUMENT.
    public func requestMessages(_ route: JSONRoute, captured: [(String, String)], request: PlainHTTPRequest) throws(RPCError) -> [[UInt8]] {
        let root = ProtoJSONPath()
        var bodyJSON: JSONValue = .object([])
        if route.body != .none {
            let contentType = request.header("content-type")?.lowercased() ?? ""
            guard contentType.hasPrefix("application/json") else {
                throw RPCError(code: .invalidArgument, message: "send the body as JSON (content-type: application/json)")
            }
            do {
                bodyJSON = try JSONParser.parse(request.body)
            } catch {
                throw JSONStatus.invalidJSON(ProtoJSONError(path: "", reason: error.description, isSyntax: true))
            }
        }
        do {
            switch route.body {
            case .stream:
                guard case .array(let elements) = bodyJSON else { throw root.error("expected an array of requests") }
                guard elements.count <= maxStreamedRequests else {
                    throw root.error("at most \(maxStreamedRequests) requests per call")
                }
                return try elements.enumerated().map { position, element in
                    try route.requestFromJSON(merged(element, captured), root.index(position))
                }
            case .message:
                return [try route.requestFromJSON(merged(bodyJSON, captured), root)]
            case .none:
                var query = Self.queryObject(request.query)
                if route.serverStreaming, let lastEventID = request.header("last-event-id"), query["cursor"] == nil,
                   case .object(var members) = query {
                    // Server-sent events resume with Last-Event-ID; our event ids are the cursors.
                    members.append(("cursor", .string(lastEventID)))
                    query = .object(members)
                }
                return [try route.requestFromJSON(merged(query, captured), ProtoJSONPath(options: .init(boolsFromStrings: true)))]
            }
        } catch let error as ProtoJSONError {
            throw JSONStatus.invalidJSON(error)
        } catch {
            throw RPCError(code: .invalidArgument, message: "invalid request")
        }
    }

    private func merged(_ json: JSONValue, _ captured: [(String, String)]) -> JSONValue {
        guard !captured.isEmpty, case .object(var members) = json else { return json }
        for (field, value) in captured {
            members.removeAll { $0.0 == field || $0.0 == JSONRoute.jsonName(field) }
            members.append((field, .string(value)))
        }
        return .object(members)
    }

    /// `page.pageSize=5&state=ORDER_STATE_RECEIVED` -> {"page":{"pageSize":"5"},"state":"ORDER_STATE_RECEIVED"}
    /// (numbers stay strings: the JSON mapping reads numbers from strings).
    static func queryObject(_ query: [(name: String, value: String)]) -> JSONValue {
        var root: [(String, JSONValue)] = []
        func insert(_ path: ArraySlice<Substring>, _ value: String, into members: inout [(String, JSONValue)]) {
            guard let first = path.first else { return }
            let key = String(first)
            if path.count == 1 {
                members.removeAll { $0.0 == key }
                members.append((key, .string(value)))
                return
            }
            var nested: [(String, JSONValue)] = []
            if let index = members.firstIndex(where: { $0.0 == key }) {
                if case .object(let existing) = members[index].1 { nested = existing }
                members.remove(at: index)
            }
            insert(path.dropFirst(), value, into: &nested)
            members.append((key, .object(nested)))
        }
        for (name, value) in query where !name.isEmpty {
            insert(name.split(separator: ".", omittingEmptySubsequences: false)[...], value, into: &root)
        }
        return .object(root)
    }
}

/// A request no route answers: 404, or 405 (with Allow) for a path that has other methods.
public struct JSONRouteMiss: Error {
    public var error: RPCError
    public var httpStatus: Int
    public var allow: String?

    public func respond(to responder: any PlainHTTPResponder) async {
        var head = JSONStatus.head(error)
        head.status = httpStatus
        if let allow { head.headers.append(("allow", allow)) }
        await responder.respond(head, body: JSONStatus.body(error))
    }
}

extension JSONRoute {
    static func jsonName(_ protoName: String) -> String {
        var result = ""
        var upperNext = false
        for char in protoName {
            if char == "_" { upperNext = true } else if upperNext { result += char.uppercased(); upperNext = false } else { result.append(char) }
        }
        return result
    }
}
