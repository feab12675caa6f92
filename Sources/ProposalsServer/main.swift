// xsc-proposals: the proposals service (ARCHITECTURE.md: port 7103, admin 9103).
import Proposals
import ServiceHost

ServiceHost.run(ProposalsService.definition)
