/// Finds the method for a request path; built once at start, read-only afterwards.
struct MethodRouter: Sendable {
    private var methods: [String: RPCMethod] = [:]
    private(set) var serviceNames: [String] = []

    init(services: [RPCService]) {
        for service in services {
            serviceNames.append(service.name)
            for method in service.methods {
                methods["/\(service.name)/\(method.name)"] = method
            }
        }
    }

    func method(for path: String) -> RPCMethod? { methods[path] }
}
