// xsc-notifications: the notifications service (ARCHITECTURE.md: port 7104, admin 9104).
// Templated SMS through the provider XSC_SMS_PROVIDER selects (see NotificationsSettings),
// the inbox, and SMS replies relayed to orders through the outbox.
import Foundation
import Notifications
import RPC
import ServiceHost
import ServiceKit
import ServiceKitStore

let settings: NotificationsSettings
switch NotificationsSettings.load(environment: ProcessEnvironment.current(),
                                  timeZoneIdentifier: ProcessEnvironment.current()["XSC_ORG_TIMEZONE"] ?? "Asia/Shanghai") {
case .success(let loaded):
    settings = loaded
case .failure(let error):
    FileHandle.standardError.write(Data("xsc-notifications: invalid configuration:\n\(error.description)\n".utf8))
    exit(2)
}

// Shared by the handler and the delivery worker, so a Send wakes delivery at once.
let inboxSignal = InboxSignal()
let deliveryWakeup = DeliveryWakeup()

ServiceHost.run(ServiceDefinition(name: "notifications", peers: ["orders"], providers: { hosted in
    var handlerSettings = NotificationHandler.Settings()
    handlerSettings.timeZoneIdentifier = hosted.config.organizationTimeZone
    return [NotificationHandler(pool: hosted.pool, logger: hosted.logger, settings: handlerSettings,
                                inboxSignal: inboxSignal, wakeDelivery: { deliveryWakeup.wake() })]
}, workers: { hosted in
    let policy = try settings.policy(claimLease: hosted.config.claimLease)
    let delivery = DeliveryWorker(queue: DeliveryQueue(pool: hosted.pool, policy: policy),
                                  provider: settings.makeProvider(clock: SystemWallClock.now), logger: hosted.logger,
                                  metrics: DeliveryMetrics(registry: hosted.metrics))
    deliveryWakeup.connect { [weak delivery] in delivery?.wake() }
    // Acknowledgements to orders; the service's own SYSTEM actor signs each call.
    let secret = hosted.config.actorSecret
    let channels = hosted.config.peers.mapValues { RPCChannel(host: $0.host, port: $0.port) }
    // UNIMPLEMENTED is not permanent here: an orders replica of an older version may answer it
    // during a rolling deploy, and the acknowledgement must wait, not be dropped.
    let deliverer = RPCOutboxDeliverer(timeout: hosted.config.deliveryCallTimeout, permanentCodes: [.invalidArgument, .outOfRange], extraMetadata: { _ in
        ActorMint.mint(secret: secret, accountID: "service:notifications", role: .system, lifetime: .seconds(300))
    }, channels: { channels[$0] })
    var relay = OutboxRelay.Configuration()
    relay.reportError = hosted.workerErrorReporter
    relay.lease = hosted.config.claimLease
    // Acknowledgements are few and small and a lead waits for theirs: retry at most every 30 s
    // (10,000 attempts is over three days of an orders outage before a dead letter).
    relay.retry = RetryPolicy(baseDelay: .seconds(1), maxDelay: .seconds(30), maxAttempts: 10_000)
    return [delivery, OutboxRelay(pool: hosted.pool, deliverer: deliverer, configuration: relay)]
}))
