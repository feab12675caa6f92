// xsc-settlements: the settlements service (ARCHITECTURE.md: port 7105, admin 9105).
import ServiceHost
import Settlements

ServiceHost.run(SettlementsService.definition)
