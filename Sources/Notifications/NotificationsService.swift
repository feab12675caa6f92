import RPC
import ServiceHost
import ServiceKit
import ServiceKitStore

/// What xsc-notifications runs: the notification service (templated SMS, inbox, provider
/// callbacks, the contact directory), the delivery worker sending through the provider
/// XSC_SMS_PROVIDER selects, and the outbox relay that takes SMS replies to orders.
public enum NotificationsService {
    public static let peers = ["orders"]

    public static func definition(environment: [String: String]) -> ServiceDefinition {
        let loaded = NotificationsSettings.load(environment: environment,
                                                timeZoneIdentifier: environment["XSC_ORG_TIMEZONE"] ?? "Asia/Shanghai")
        // Shared by the handler and the delivery worker, so a Send wakes delivery at once.
        let inboxSignal = InboxSignal()
        let deliveryWakeup = DeliveryWakeup()
        var definition = ServiceDefinition(name: "notifications", peers: peers, providers: { hosted in
            var handlerSettings = NotificationHandler.Settings()
            handlerSettings.timeZoneIdentifier = hosted.config.organizationTimeZone
            handlerSettings.vendor = (try? loaded.get())?.vendor
            let handler = NotificationHandler(pool: hosted.pool, logger: hosted.logger, settings: handlerSettings,
                                              inboxSignal: inboxSignal, wakeDelivery: { deliveryWakeup.wake() })
            return [handler, InboxService(routes: handler.inboxRoutes, logger: hosted.logger)]
        }, workers: { hosted in
            let settings = try loaded.get()
            let policy = try settings.policy(claimLease: hosted.config.claimLease)
            let delivery = DeliveryWorker(queue: DeliveryQueue(pool: hosted.pool, policy: policy),
                                          provider: settings.makeProvider(clock: SystemWallClock.now), logger: hosted.logger,
                                          metrics: DeliveryMetrics(registry: hosted.metrics))
            deliveryWakeup.connect { [weak delivery] in delivery?.wake() }
            return [delivery, acknowledgementRelay(hosted)]
        })
        if case .failure(let error) = loaded { definition.settingsProblems = error.problems }
        return definition
    }

    /// Acknowledgements to orders, each call signed as this service's SYSTEM actor.
    static func acknowledgementRelay(_ hosted: HostedService) -> OutboxRelay {
        let secret = hosted.config.actorSecret
        let channels = hosted.config.peers.mapValues { RPCChannel(host: $0.host, port: $0.port) }
        // UNIMPLEMENTED is not permanent here: an orders replica of an older version may answer
        // it during a rolling deploy, and the acknowledgement must wait, not be dropped.
        let deliverer = RPCOutboxDeliverer(timeout: hosted.config.deliveryCallTimeout, permanentCodes: [.invalidArgument, .outOfRange],
                                           extraMetadata: { message in
            ActorMint.mint(secret: secret, accountID: "service:notifications", role: .system, lifetime: .seconds(300),
                           audience: message.destination)
        }, channels: { channels[$0] })
        var relay = OutboxRelay.Configuration()
        relay.reportError = hosted.workerErrorReporter
        relay.lease = hosted.config.claimLease
        // Acknowledgements are few and small and a lead waits for theirs: retry at most every
        // 30 s (10,000 attempts is over three days of an orders outage before a dead letter).
        relay.retry = RetryPolicy(baseDelay: .seconds(1), maxDelay: .seconds(30), maxAttempts: 10_000)
        return OutboxRelay(pool: hosted.pool, deliverer: deliverer, configuration: relay)
    }
}
