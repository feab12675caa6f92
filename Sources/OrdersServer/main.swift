// xsc-orders: the orders service (ARCHITECTURE.md: port 7101, admin 9101).
import Orders
import ServiceHost

ServiceHost.run(ServiceDefinition(
    name: "orders",
    peers: OrdersService.peers,
    providers: { service in
        [OrderServiceHandler(flow: OrderFlow(pool: service.pool, timeZone: service.config.organizationTimeZone))]
    },
    workers: { service in
        try OrdersService.workers(flow: OrderFlow(pool: service.pool, timeZone: service.config.organizationTimeZone),
                                  pool: service.pool, config: service.config,
                                  reportError: service.workerErrorReporter)
    }))
