import ArgumentParser
import Messages
import RPC
import ServiceAPI
import ServiceKit

/// `xsc health`: the standard gRPC health check, for scripts (make up, docker healthchecks).
struct HealthCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "health",
        abstract: "Check that services answer SERVING (grpc.health.v1).",
        discussion: """
        gRPC health check (grpc.health.v1.Health/Check); default 127.0.0.1:7100. --all checks \
        every service of the port table (7100-7105). Prints one line per address; exits 0 when \
        every answer is SERVING, 1 otherwise.
        """)

    @Argument(help: "HOST:PORT of each server to check.") var targets: [String] = []
    @Flag(help: "Every service of the port table (7100-7105).") var all = false
    @Option(help: "The host for --all (default 127.0.0.1).") var host: String?
    @Option(help: "The service name to ask about (default: the server as a whole).") var service: String?
    @Option(help: "Seconds to wait for each answer (default 3).") var timeout: Int?

    func run() async throws {
        let timeout = try positiveSeconds(self.timeout, option: "--timeout", default: 3)
        var targets: [HostPort] = []
        if all {
            let host = self.host ?? "127.0.0.1"
            targets = ServicePorts.services.compactMap { name in
                ServicePorts.rpcPort(of: name).map { HostPort(host: host, port: $0) }
            }
        }
        for word in self.targets {
            guard let target = HostPort(parsing: word), target.port > 0 else {
                throw CLIError.usage("\(word) is not HOST:PORT")
            }
            targets.append(target)
        }
        if targets.isEmpty { targets = [HostPort(host: "127.0.0.1", port: 7100)] }

        var allServing = true
        for target in targets {
            let verdict = await Self.check(target, service: service ?? "", timeout: .seconds(timeout))
            print("\(target) \(verdict.text)")
            allServing = allServing && verdict.serving
        }
        if !allServing { throw ExitCode(ExitStatus.failure) }
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
