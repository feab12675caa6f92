/// The Swift side of an HTTP/JSON API: the route table the gateway serves (`JSONRoute`s, with
/// the request and response types of each route's method) and the OpenAPI document embedded,
/// so the gateway serves exactly the document generated with it.
struct HTTPRoutesEmitter {
    let registry: TypeRegistry
    let openAPI: OpenAPIEmitter
    let typeName: String
    /// The routes file, named in the generated header.
    let source: String
    /// Whether the OpenAPI document is generated and embedded (the partner API's contract).
    let embedsDocument: Bool

    func emit() throws -> (swift: String, openAPI: String) {
        let document = embedsDocument ? try openAPI.document() : ""
        var out = CodeWriter()
        out.line(Generator.header(source: "\(source) and the proto files"))
        out.line("import Messages")
        out.line("import ProtoCodec")
        out.line("import RPC")
        out.line()
        out.line(embedsDocument ? "/// The partner HTTP/JSON API: each route and the gRPC method it calls; the OpenAPI document."
                 : "/// An HTTP/JSON API (\(source)): each route and the gRPC method it calls.")
        try out.block("public enum \(typeName)") { out in
            out.line("public static let routes: [JSONRoute] = [")
            try out.indented { out in
                for route in openAPI.routes {
                    let rpc = try openAPI.method(route.rpc)
                    let input = (try? registry.message(OpenAPIEmitter.bare(rpc.inputType)).swiftName) ?? ""
                    let output = (try? registry.message(OpenAPIEmitter.bare(rpc.outputType)).swiftName) ?? ""
                    let body = route.body == .body ? ".message" : route.body == .stream ? ".stream" : ".none"
                    out.line("JSONRoute(method: \"\(route.method)\", path: \"\(route.path)\", grpcPath: \"\(route.grpcPath)\", body: \(body),")
                    out.line("          serverStreaming: \(rpc.serverStreaming), request: \(input).self, response: \(output).self),")
                }
            }
            out.line("]")
            guard embedsDocument else { return }
            out.line()
            out.line("/// services/gateway/openapi.json, served at GET /openapi.json.")
            out.line("public static let openAPIDocument = ##\"\"\"")
            // The last (empty) line keeps the document's final newline in the literal.
            for line in document.split(separator: "\n", omittingEmptySubsequences: false) {
                out.line(String(line))
            }
            out.line("\"\"\"##")
        }
        return (out.text, document)
    }
}
