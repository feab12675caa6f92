// xsc-gateway: identity (org tree, accounts, sessions, partner keys) and the one front door that
// forwards every other call to the service owning its proto package (ARCHITECTURE.md: port 7100).
import Gateway
import Glibc
import ServiceHost
import ServiceKit
import Synchronization

let (settings, problems) = GatewaySettings.load(ProcessEnvironment.current())
if !problems.isEmpty {
    fputs("xsc-gateway: configuration problems:\n" + problems.map { "  " + $0 }.joined(separator: "\n") + "\n", stderr)
    exit(2)
}

/// Built once per process (providers, fallback and workers all need the same core).
final class AssemblyBox: Sendable {
    private let assembly = Mutex<GatewayAssembly?>(nil)

    func get(_ hosted: HostedService) -> GatewayAssembly {
        assembly.withLock { assembly in
            if let assembly { return assembly }
            let made = GatewayAssembly(pool: hosted.pool, config: hosted.config, logger: hosted.logger, settings: settings)
            assembly = made
            return made
        }
    }
}

let box = AssemblyBox()
var definition = ServiceDefinition(
    name: "gateway", peers: ["orders", "customers", "proposals", "notifications", "settlements"],
    providers: { hosted in box.get(hosted).providers },
    workers: { hosted in
        let assembly = box.get(hosted)
        return [assembly.healthProbe]
            // The account directory feed to notifications (outbox relay + start-up backfill).
            + DirectoryFeedWorkers.make(pool: hosted.pool, config: hosted.config, logger: hosted.logger,
                                      reportError: hosted.workerErrorReporter)
    })
definition.beforeServing = { hosted in
    try await FirstRun(core: box.get(hosted).core, adminPhone: settings.adminPhone, adminPassword: settings.adminPassword)
        .ensure()
}
definition.serverCreated = { server, hosted in box.get(hosted).healthProbe.attach(server.health) }
// The gateway authenticates callers itself (FrontDoor, inside each handler and the router):
// no actor verifier, since callers here hold credentials, not signed actors.
definition.authenticationInterceptors = { _ in [] }
definition.fallback = { hosted in
    let router = box.get(hosted).router
    return { path in router.method(for: path) }
}
definition.reflectedServiceNames = GatewayAssembly.reflectedServiceNames(settings: settings)
ServiceHost.run(definition)
