// xsc-notifications: the notifications service (ARCHITECTURE.md: port 7104, admin 9104).
// Templated SMS through the provider XSC_SMS_PROVIDER selects (see NotificationsSettings),
// the inbox, and SMS replies relayed to orders through the outbox.
import Notifications
import ServiceHost
import ServiceKit

ServiceHost.run(NotificationsService.definition(environment: ProcessEnvironment.current()))
