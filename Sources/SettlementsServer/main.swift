// xsc-settlements: the settlements service (ARCHITECTURE.md: port 7105, admin 9105).
import ServiceHost
import Settlements

ServiceHost.run({
    var definition = ServiceDefinition(
        name: "settlements",
        peers: SettlementsService.peers,
        providers: { service in
            [SettlementServiceHandler(flow: SettlementsService.flow(pool: service.pool, config: service.config))]
        },
        workers: { service in
            try SettlementsService.workers(flow: SettlementsService.flow(pool: service.pool, config: service.config),
                                           pool: service.pool, config: service.config, reportError: service.workerErrorReporter)
        })
    // The first Monday close timer, before anyone can call (every replica; an existing one stays).
    definition.beforeServing = { service in
        try await SettlementsService.flow(pool: service.pool, config: service.config).ensureWeeklyTimer()
    }
    return definition
}())
