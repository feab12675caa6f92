// xsc-gateway: identity (org tree, accounts, sessions, partner keys) and the one front door that
// forwards every other call to the service owning its proto package (ARCHITECTURE.md: port 7100).
import Gateway
import ServiceHost
import ServiceKit

ServiceHost.run(GatewayService.definition(environment: ProcessEnvironment.current()))
