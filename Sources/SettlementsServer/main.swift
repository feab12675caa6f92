// xsc-settlements: the settlements service (ARCHITECTURE.md: port 7105, admin 9105).
// Until its domain module lands it serves health and reflection only; its handlers go in the
// definition's `providers`, its outbox relay and timers in `workers`.
import ServiceHost

ServiceHost.run(ServiceDefinition(name: "settlements"))
