import XSCTestSupport
import Foundation
import Messages
@testable import Notifications
import Postgres
import RPC
import ServiceAPI
import ServiceKit
import ServiceKitStore
import Synchronization
import XCTest

/// A fresh database with the notifications schema (ServiceDatabase: own role, platform + the
/// service's real migrations), a controllable clock, and optionally the handler served over real gRPC with
/// actor verification, as in production.
final class NotificationsFixture: @unchecked Sendable {
    static let secret = String(repeating: "s", count: 40)
    static let actorSecret: ActorSecret = {
        guard let secret = ActorSecret(secret) else { preconditionFailure("test secret rejected") }
        return secret
    }()
    let database: ServiceDatabase
    let pool: PostgresPool
    let clock: ManualWallClock
    let logs = MemoryLogSink()
    let logger: Logger
    let inboxSignal = InboxSignal()
    private var server: RPCServer?
    private var channel: RPCChannel?

    private init(database: ServiceDatabase, clock: ManualWallClock) {
        self.database = database
        pool = database.pool
        self.clock = clock
        self.logger = Logger(service: "notifications", level: .debug, sink: logs)
    }

    /// 2026-11-16 10:00 Asia/Shanghai (a Monday morning: outside quiet hours).
    static let mondayMorning: Int64 = 1_794_794_400_000

    static func make(_ testCase: XCTestCase, startingAt millis: Int64 = mondayMorning) async throws -> NotificationsFixture {
        let database = try await ServiceDatabase.make(testCase, service: "notifications", maxConnections: 8)
        return NotificationsFixture(database: database, clock: ManualWallClock(startingAt: millis))
    }

    func handler(wakeDelivery: @escaping @Sendable () -> Void = {}) -> NotificationHandler {
        var settings = NotificationHandler.Settings()
        settings.watchPollInterval = .milliseconds(200)
        return NotificationHandler(pool: pool, logger: logger, settings: settings, clock: clock.now,
                                   inboxSignal: inboxSignal, wakeDelivery: wakeDelivery)
    }

    /// The handler on a real gRPC server (loopback, ephemeral port) behind the standard
    /// interceptors; returns a typed client.
    func serve() throws -> Xsc_Notifications_V1_NotificationServiceClient {
        let config = try ServiceConfig.load(service: "notifications", environment: [
            "XSC_LISTEN": "127.0.0.1:0", "XSC_ADMIN_LISTEN": "127.0.0.1:0", "XSC_ACTOR_SECRET": Self.secret,
            "DATABASE_URL": "postgres://unused@127.0.0.1/unused", // the fixture brings its own pool
        ])
        var configuration = RPCServer.Configuration(host: "127.0.0.1", port: 0, eventLoops: 1)
        configuration.handlesTerminationSignals = false
        configuration.interceptors = StandardInterceptors.make(config: config, logger: logger, metrics: MetricsRegistry())
        let server = RPCServer(configuration: configuration, services: [handler()])
        try server.start()
        self.server = server
        let channel = RPCChannel(host: "127.0.0.1", port: server.port)
        self.channel = channel
        return Xsc_Notifications_V1_NotificationServiceClient(channel: channel)
    }

    /// Call options signed as `account` with `role`.
    func options(_ account: String, role: VerifiedActor.Role = .staff, team: String = "/") -> CallOptions {
        CallOptions(metadata: ActorMint.mint(secret: Self.actorSecret, accountID: account, role: role, teamPath: team,
                                                 audience: "notifications"),
                    timeout: .seconds(20))
    }

    var system: CallOptions { options("service:orders", role: .system) }

    func close() {
        channel?.close()
        server?.shutdown()
        database.close()
    }

    static func sendRequest(key: String, account: String? = "acct-lead-1", phone: String = "13812345678",
                            template: String = "order_new_lead", params: [String: String] = ["code": "A7K2", "summary": "五粮液2箱"],
                            category: Xsc_Notifications_V1_Category = .staffSla, region: String = "cq",
                            orderID: String? = nil, code: String = "A7K2") -> Xsc_Notifications_V1_SendRequest {
        var request = Xsc_Notifications_V1_SendRequest()
        request.idempotencyKey = key
        request.accountId = account ?? ""
        request.phone = phone
        request.template = template
        request.params = params
        request.category = category
        request.regionCode = region
        if let orderID {
            var subject = Xsc_Notifications_V1_Subject()
            subject.kind = "order"
            subject.id = orderID
            subject.shortCode = code
            request.subject = subject
        }
        return request
    }
}


/// Polls `condition` until it holds (a bound against hanging, not a performance assertion).
func eventually(_ description: String, limit: Duration = .seconds(60), file: StaticString = #filePath, line: UInt = #line,
                _ condition: () async throws -> Bool) async throws {
    let giveUp = ContinuousClock.now + limit
    while ContinuousClock.now < giveUp {
        if try await condition() { return }
        try await Task.sleep(for: .milliseconds(20))
    }
    XCTFail("never happened: \(description)", file: file, line: line)
    throw TestCluster.ScriptError(message: "never happened: \(description)")
}
