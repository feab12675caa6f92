/// Finds the method for a request path; built once at start, read-only afterwards.
struct MethodRouter: Sendable {
    private var methods: [String: RPCMethod] = [:]
    private(set) var serviceNames: [String] = []
    private let fallback: (@Sendable (String) -> RPCMethod?)?

    init(services: [RPCService], fallback: (@Sendable (String) -> RPCMethod?)? = nil) {
        self.fallback = fallback
        for service in services {
            serviceNames.append(service.name)
            for method in service.methods {
                methods["/\(service.name)/\(method.name)"] = method
            }
        }
    }

    func method(for path: String) -> RPCMethod? { methods[path] ?? fallback?(path) }
}
