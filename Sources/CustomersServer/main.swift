// xsc-customers: the customers service (ARCHITECTURE.md: port 7102, admin 9102).
// Until its domain module lands it serves health and reflection only; its handlers go in the
// definition's `providers`, its outbox relay and timers in `workers`.
import ServiceHost

ServiceHost.run(ServiceDefinition(name: "customers"))
