/// The port table of ARCHITECTURE.md: service `n` listens for gRPC on 7100+n and for admin
/// HTTP on 9100+n, so a single host runs every service without any configuration.
public enum ServicePorts {
    public static let services = ["gateway", "orders", "customers", "proposals", "notifications", "settlements", "campaigns"]

    /// The service's index in the table, nil for a service the table does not know.
    public static func index(of service: String) -> Int? {
        services.firstIndex(of: service.lowercased())
    }

    public static func rpcPort(of service: String) -> Int? {
        index(of: service).map { 7100 + $0 }
    }

    public static func adminPort(of service: String) -> Int? {
        index(of: service).map { 9100 + $0 }
    }
}
