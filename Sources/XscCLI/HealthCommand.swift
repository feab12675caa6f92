import Messages
import RPC
import ServiceAPI
import ServiceKit

/// `xsc health`: the standard gRPC health check, for scripts (make up, docker healthchecks).
enum HealthCommand {
    static func run(_ options: Options) async throws(CLIError) -> Int32 {
        var options = options
        try options.parse(valued: ["service", "timeout", "host"], flags: ["all"])
        let timeout = try options.seconds("timeout", default: 3)
        var targets: [HostPort] = []
        if options.has("all") {
            let host = options.value("host") ?? "127.0.0.1"
            targets = ServicePorts.services.compactMap { name in
                ServicePorts.rpcPort(of: name).map { HostPort(host: host, port: $0) }
            }
        }
        for word in options.positional {
            guard let target = HostPort(parsing: word), target.port > 0 else {
                throw .usage("\(word) is not HOST:PORT")
            }
            targets.append(target)
        }
        if targets.isEmpty { targets = [HostPort(host: "127.0.0.1", port: 7100)] }

        var allServing = true
        for target in targets {
            let verdict = await check(target, service: options.value("service") ?? "", timeout: .seconds(timeout))
            print("\(target) \(verdict.text)")
            allServing = allServing && verdict.serving
        }
        return allServing ? 0 : 1
    }

    private static func check(_ target: HostPort, service: String, timeout: Duration) async -> (serving: Bool, text: String) {
        let channel = RPCChannel(host: target.host, port: target.port)
        defer { channel.close() }
        var request = Grpc_Health_V1_HealthCheckRequest()
        request.service = service
        do {
            let response = try await Grpc_Health_V1_HealthClient(channel: channel)
                .check(request, options: CallOptions(timeout: timeout))
            return (response.status == .serving, name(of: response.status))
        } catch let error as RPCError {
            return (false, "ERROR \(error.code): \(error.message)")
        } catch {
            return (false, "ERROR \(error)")
        }
    }

    private static func name(of status: Grpc_Health_V1_HealthCheckResponse.ServingStatus) -> String {
        switch status {
        case .serving: return "SERVING"
        case .notServing: return "NOT_SERVING"
        case .serviceUnknown: return "SERVICE_UNKNOWN"
        case .unknown: return "UNKNOWN"
        case .unrecognized(let value): return "UNRECOGNIZED(\(value))"
        }
    }
}
