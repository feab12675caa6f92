/// The Swift side of an HTTP/JSON API: the route table the gateway serves (`JSONRoute`s, with
/// the request and response types of each route's method) and the OpenAPI document embedded,
/// so the gateway serves exactly the document generated with it.
struct HTTPRoutesEmitter {
    let registry: TypeRegistry
    let openAPI: OpenAPIEmitter
    let typeName: String

    func emit() throws -> (swift: String, openAPI: String) {
        let document = try openAPI.document()
        var out = CodeWriter()
        out.line(Generator.header(source: "proto/partner_http.routes and the proto files"))
        out.line("import Messages")
        out.line("import ProtoCodec")
        out.line("import RPC")
        out.line()
        out.line("/// The partner HTTP/JSON API: each route and the gRPC method it calls; the OpenAPI document.")
        out.block("public enum \(typeName)") { out in
            out.line("public static let routes: [JSONRoute] = [")
            out.indented { out in
                for route in openAPI.routes {
                    guard let rpc = try? openAPI.method(route.rpc) else { continue }
                    let input = (try? registry.message(OpenAPIEmitter.bare(rpc.inputType)).swiftName) ?? ""
                    let output = (try? registry.message(OpenAPIEmitter.bare(rpc.outputType)).swiftName) ?? ""
                    let body = route.body == .body ? ".message" : route.body == .stream ? ".stream" : ".none"
                    out.line("JSONRoute(method: \"\(route.method)\", path: \"\(route.path)\", grpcPath: \"\(route.grpcPath)\", body: \(body),")
                    out.line("          serverStreaming: \(rpc.serverStreaming), request: \(input).self, response: \(output).self),")
                }
            }
            out.line("]")
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
