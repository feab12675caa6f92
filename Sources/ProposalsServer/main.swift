// xsc-proposals: the proposals service (ARCHITECTURE.md: port 7103, admin 9103).
import Proposals
import ServiceHost

ServiceHost.run(ServiceDefinition(
    name: "proposals",
    peers: ProposalsService.peers,
    providers: { service in
        ProposalsService.handlers(flow: ProposalFlow(pool: service.pool, timeZone: service.config.organizationTimeZone))
    },
    workers: { service in
        try ProposalsService.workers(flow: ProposalFlow(pool: service.pool, timeZone: service.config.organizationTimeZone),
                                     pool: service.pool, config: service.config, reportError: service.workerErrorReporter)
    }))
