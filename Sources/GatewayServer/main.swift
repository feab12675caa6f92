// xsc-gateway: the gateway service (ARCHITECTURE.md: port 7100, admin 9100).
// Until its domain module lands it serves health and reflection only; its handlers go in the
// definition's `providers`, its outbox relay and timers in `workers`.
import ServiceHost

ServiceHost.run(ServiceDefinition(name: "gateway", peers: ["orders", "customers", "proposals", "notifications", "settlements"]))
