/// One route of an HTTP/JSON API onto a gRPC method, as listed in a routes file
/// (`proto/partner_http.routes`; its header says the format).
public struct HTTPRoute: Sendable, Equatable {
    public enum Body: String, Sendable { case body, stream, none = "-" }

    public var method: String
    /// With `{field}` placeholders (proto field names of the request message).
    public var path: String
    /// `pkg.Service.Method`.
    public var rpc: String
    public var body: Body

    /// The gRPC path: `/pkg.Service/Method`.
    public var grpcPath: String {
        guard let dot = rpc.lastIndex(of: ".") else { return rpc }
        return "/" + rpc[..<dot] + "/" + rpc[rpc.index(after: dot)...]
    }

    /// The placeholders of `path`, in order.
    public var pathFields: [String] {
        path.split(separator: "/").compactMap { segment in
            segment.hasPrefix("{") && segment.hasSuffix("}") ? String(segment.dropFirst().dropLast()) : nil
        }
    }

    public static func parseFile(_ text: String) throws -> [HTTPRoute] {
        var routes: [HTTPRoute] = []
        for (number, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let content = line.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false)[0]
            let words = content.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
            if words.isEmpty { continue }
            guard words.count == 4, ["GET", "POST", "PUT", "PATCH", "DELETE"].contains(words[0]), words[1].hasPrefix("/"),
                  let body = Body(rawValue: words[3]) else {
                throw GeneratorError("routes file line \(number + 1): expected METHOD PATH RPC BODY")
            }
            routes.append(HTTPRoute(method: words[0], path: words[1], rpc: words[2], body: body))
        }
        return routes
    }
}
