import ProtoCodec

/// One HTTP/JSON route onto a gRPC method (generated from a routes file, e.g.
/// `PartnerHTTPRoutes.routes`): how to build the request message from the path, query and
/// body, and how to write the response messages as JSON.
public struct JSONRoute: Sendable {
    public enum Body: Sendable { case message, stream, none }

    public let method: String
    /// `/v1/orders/{order_id}`: placeholders are proto field names of the request.
    public let path: String
    public let grpcPath: String
    public let body: Body
    public let serverStreaming: Bool
    /// Request JSON (body with path and query fields merged in) -> the packed request.
    let requestFromJSON: @Sendable (JSONValue, ProtoJSONPath) throws -> [UInt8]
    /// A packed response -> its JSON.
    let responseToJSON: @Sendable ([UInt8]) throws -> JSONValue
    let segments: [Substring]

    public init<Request: ProtoJSONMessage, Response: ProtoJSONMessage>(
        method: String, path: String, grpcPath: String, body: Body, serverStreaming: Bool,
        request: Request.Type, response: Response.Type
    ) {
        self.method = method
        self.path = path
        self.grpcPath = grpcPath
        self.body = body
        self.serverStreaming = serverStreaming
        requestFromJSON = { json, at in try Request(protoJSON: json, path: at).serializedBytes() }
        responseToJSON = { bytes in try Response(serializedBytes: bytes).protoJSON() }
        segments = path.split(separator: "/", omittingEmptySubsequences: false)
    }

    /// The path's placeholder values (`order_id` -> "o-1") when `requestPath` matches.
    func match(_ requestPath: String) -> [(String, String)]? {
        let parts = requestPath.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == segments.count else { return nil }
        var captured: [(String, String)] = []
        for (pattern, part) in zip(segments, parts) {
            if pattern.hasPrefix("{") && pattern.hasSuffix("}") {
                let value = PercentEncoding.decode(part.utf8)
                guard !value.isEmpty else { return nil }
                captured.append((String(pattern.dropFirst().dropLast()), value))
            } else if pattern != part {
                return nil
            }
        }
        return captured
    }
}
