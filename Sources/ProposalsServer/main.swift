// xsc-proposals: the proposals service (ARCHITECTURE.md: port 7103, admin 9103).
// Until its domain module lands it serves health and reflection only; its handlers go in the
// definition's `providers`, its outbox relay and timers in `workers`.
import ServiceHost

ServiceHost.run(ServiceDefinition(name: "proposals"))
