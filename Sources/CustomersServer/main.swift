// xsc-customers: the customers service (ARCHITECTURE.md: port 7102, admin 9102).
import Customers
import ServiceHost

ServiceHost.run(ServiceDefinition(
    name: "customers",
    peers: CustomersService.peers,
    providers: { service in CustomersService.providers(pool: service.pool, config: service.config) },
    workers: { service in
        try CustomersService.workers(pool: service.pool, config: service.config, reportError: service.workerErrorReporter)
    }))
