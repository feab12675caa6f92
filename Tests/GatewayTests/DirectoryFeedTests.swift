import Foundation
@testable import Gateway
import Messages
import Postgres
import RPC
import ServiceKit
import ServiceKitStore
import Synchronization
import XCTest

/// The account directory feed to notifications (and its DirectoryEntry to the other services): outbox rows written with the account change,
/// versions from one sequence, the start-up backfill, and the relay signed as the gateway's
/// SYSTEM actor that waits while notifications is down.
final class DirectoryFeedTests: XCTestCase {
    private static let secretText = "contact-feed-test-secret-0123456789abcdef"
    private static let secret = ActorSecret(secretText)!

    private static func entries(_ pool: PostgresPool) async throws -> [Xsc_Notifications_V1_SetContactRequest] {
        let rows = try await pool.query("""
            SELECT destination, method_path, payload FROM xsc_outbox WHERE destination = 'notifications' ORDER BY id
            """)
        return try rows.map { row in
            XCTAssertEqual(try row.decode(String.self, at: 0), "notifications")
            XCTAssertEqual(try row.decode(String.self, at: 1), "/xsc.notifications.v1.NotificationService/SetContact")
            return try Xsc_Notifications_V1_SetContactRequest(serializedBytes: try row.decode([UInt8].self, at: 2))
        }
    }

    func testAccountChangesQueueTheirVersionedContactInTheSameTransaction() async throws {
        let pool = try await GatewayDatabase.make(self)
        defer { pool.close() }
        let accounts = AccountStore(pool: pool)
        let created = try await accounts.insert(name: "张", phone: "13900000003", role: .officeOrderLead, nodePath: "/hq",
                                                passwordHash: "x")
        let lead = try XCTUnwrap(created)
        var queued = try await Self.entries(pool)
        XCTAssertEqual(queued.count, 1)
        XCTAssertEqual(queued[0].accountId, lead.id)
        XCTAssertEqual(queued[0].phone, "13900000003")
        XCTAssertTrue(queued[0].enabled)
        XCTAssertGreaterThan(queued[0].version, 0)

        // A create that rolls back leaves neither the account nor its entry.
        struct Abort: Error {}
        do {
            try await pool.transaction { transaction in
                _ = try await accounts.insert(name: "x", phone: "13900000077", role: .dealer, nodePath: "/hq", passwordHash: "x",
                                              in: transaction)
                throw Abort()
            }
        } catch is Abort {}
        queued = try await Self.entries(pool)
        XCTAssertEqual(queued.count, 1)
        // A taken phone creates nothing and queues nothing.
        let duplicate = try await accounts.insert(name: "y", phone: "13900000003", role: .dealer, nodePath: "/hq", passwordHash: "x")
        XCTAssertNil(duplicate)

        _ = try await accounts.disable(id: lead.id)
        _ = try await accounts.disable(id: lead.id) // already disabled: nothing changes, nothing queued
        queued = try await Self.entries(pool)
        XCTAssertEqual(queued.count, 2)
        XCTAssertEqual(queued[1].accountId, lead.id)
        XCTAssertFalse(queued[1].enabled)
        XCTAssertGreaterThan(queued[1].version, queued[0].version, "a later change carries a higher version")
    }

    func testEnableAndPhoneChangesArePublishedAndATakenPhoneChangesNothing() async throws {
        let pool = try await GatewayDatabase.make(self)
        defer { pool.close() }
        let accounts = AccountStore(pool: pool)
        let inserted = try await accounts.insert(name: "张", phone: "13900000003", role: .officeOrderLead, nodePath: "/hq",
                                                 passwordHash: "x")
        let lead = try XCTUnwrap(inserted)
        _ = try await accounts.insert(name: "刘", phone: "13900000004", role: .districtOrderLead, nodePath: "/hq", passwordHash: "x")
        _ = try await accounts.disable(id: lead.id)
        let enabled = try await accounts.enable(id: lead.id)
        XCTAssertEqual(enabled?.enabled, true)
        guard case .changed(let moved) = try await accounts.changePhone(id: lead.id, to: "13900000033") else {
            return XCTFail("phone change refused")
        }
        XCTAssertEqual(moved.phone, "13900000033")
        guard case .taken = try await accounts.changePhone(id: lead.id, to: "13900000004") else {
            return XCTFail("took another account's phone")
        }
        guard case .missing = try await accounts.changePhone(id: "no-such-account", to: "13900000055") else {
            return XCTFail("changed a missing account")
        }
        let mine = try await Self.entries(pool).filter { $0.accountId == lead.id }
        XCTAssertEqual(mine.map(\.enabled), [true, false, true, true])
        XCTAssertEqual(mine.map(\.phone), ["13900000003", "13900000003", "13900000003", "13900000033"])
        XCTAssertEqual(mine.map(\.version), mine.map(\.version).sorted())
        XCTAssertEqual(Set(mine.map(\.version)).count, 4)
    }

    func testEachChangeQueuesOneDirectoryEntryPerKeepingService() async throws {
        let pool = try await GatewayDatabase.make(self)
        defer { pool.close() }
        let accounts = AccountStore(pool: pool)
        let created = try await accounts.insert(name: "李业务", phone: "13900000021", role: .salesperson, nodePath: "/hq",
                                                passwordHash: "x")
        let person = try XCTUnwrap(created)
        let rows = try await pool.query("""
            SELECT destination, method_path, payload, event_id FROM xsc_outbox WHERE destination <> 'notifications' ORDER BY destination
            """)
        XCTAssertEqual(try rows.map { try $0.decode(String.self, column: "destination") }, ["campaigns", "customers", "orders", "proposals", "settlements"])
        XCTAssertEqual(try rows.map { try $0.decode(String.self, column: "method_path") }, [
            "/xsc.campaigns.v1.CampaignService/SetDirectoryEntry",
            "/xsc.customers.v1.CustomerService/SetDirectoryEntry", "/xsc.orders.v1.OrderService/SetDirectoryEntry",
            "/xsc.proposals.v1.ProposalService/SetDirectoryEntry",
            "/xsc.settlements.v1.SettlementService/SetDirectoryEntry",
        ])
        let entry = try Xsc_Common_V1_DirectoryEntry(serializedBytes: try rows[1].decode([UInt8].self, column: "payload"))
        XCTAssertEqual(entry.accountId, person.id)
        XCTAssertEqual(entry.name, "李业务")
        XCTAssertEqual(entry.domainRole, "salesperson")
        XCTAssertEqual(entry.nodePath, "/hq")
        XCTAssertTrue(entry.enabled)
        let contact = try await Self.entries(pool)
        XCTAssertEqual(entry.version, contact[0].version, "one version for the contact and the directory entries")
        XCTAssertEqual(try rows[1].decode(String.self, column: "event_id"), "directory-customers-\(person.id)-\(entry.version)")
    }

    func testBackfillPublishesAccountsThatNeverWerePublishedOnce() async throws {
        let pool = try await GatewayDatabase.make(self)
        defer { pool.close() }
        // Accounts written before the feed existed: no outbox row, contact_published 0.
        for (id, phone) in [("old-1", "13900000011"), ("old-2", "13900000012")] {
            _ = try await pool.execute("""
                INSERT INTO accounts (id, name, phone, role, node_path, password_hash) VALUES ($1, 'old', $2, 'dealer', '/hq', 'x')
                """, [.text(id), .text(phone)])
        }
        let feed = DirectoryFeed()
        let first = try await feed.backfill(pool: pool, limit: 1)
        let second = try await feed.backfill(pool: pool)
        let third = try await feed.backfill(pool: pool)
        XCTAssertEqual([first, second, third], [1, 1, 0])
        let queued = try await Self.entries(pool)
        XCTAssertEqual(queued.map(\.accountId).sorted(), ["old-1", "old-2"])
        XCTAssertEqual(Set(queued.map(\.version)).count, 2)
    }

    func testTheRelayDeliversSignedAsTheGatewaySystemActorAndWaitsWhileNotificationsIsDown() async throws {
        let pool = try await GatewayDatabase.make(self)
        defer { pool.close() }
        _ = try await AccountStore(pool: pool).insert(name: "张", phone: "13900000003", role: .officeOrderLead, nodePath: "/hq",
                                                      passwordHash: "x")
        let notifications = FakeNotifications(secret: Self.secret)
        var configuration = RPCServer.Configuration(host: "127.0.0.1", port: 0, eventLoops: 1)
        configuration.handlesTerminationSignals = false
        let server = RPCServer(configuration: configuration, services: [notifications])
        try server.start()
        let port = server.port
        server.shutdown() // notifications down: its port refuses connections

        func relay() throws -> OutboxRelay {
            let config = try ServiceConfig.load(service: "gateway", peers: ["notifications"], environment: [
                "XSC_LISTEN": "127.0.0.1:0", "XSC_ADMIN_LISTEN": "127.0.0.1:0", "XSC_ACTOR_SECRET": Self.secretText,
                "DATABASE_URL": "postgres://unused@127.0.0.1/unused", "XSC_NOTIFICATIONS_ADDR": "127.0.0.1:\(port)",
            ])
            let workers = DirectoryFeedWorkers.make(pool: pool, config: config, logger: Logger(service: "gateway", level: .error),
                                                  reportError: { _, _ in })
            return try XCTUnwrap(workers.first as? OutboxRelay)
        }
        try await relay().runOnce()
        let waiting = try await pool.query("SELECT state, attempts FROM xsc_outbox WHERE destination = 'notifications'")
        XCTAssertEqual(try waiting[0].decode(String.self, at: 0), "pending", "notifications down: the entry waits")
        XCTAssertEqual(try waiting[0].decode(Int.self, at: 1), 1)

        var restarted = RPCServer.Configuration(host: "127.0.0.1", port: port, eventLoops: 1)
        restarted.handlesTerminationSignals = false
        let again = RPCServer(configuration: restarted, services: [notifications])
        try again.start()
        defer { again.shutdown() }
        // The restarted server may take a moment to accept on its old port: retry (skipping the
        // backoff) under a liveness bound.
        let upRelay = try relay()
        let giveUp = ContinuousClock.now + .seconds(60)
        var state = "pending"
        var lastError = ""
        while state != "delivered" && ContinuousClock.now < giveUp {
            _ = try await pool.execute("UPDATE xsc_outbox SET next_attempt_at = now() - interval '1 second'")
            try await upRelay.runOnce()
            let row = try await pool.query("SELECT state, coalesce(last_error, '') FROM xsc_outbox WHERE destination = 'notifications'")[0]
            state = try row.decode(String.self, at: 0)
            lastError = try row.decode(String.self, at: 1)
            if state != "delivered" { try await Task.sleep(for: .milliseconds(200)) }
        }
        XCTAssertEqual(state, "delivered", lastError)
        let received = notifications.received.withLock { $0 }
        XCTAssertEqual(received.map(\.entry.phone), ["13900000003"])
        XCTAssertEqual(received.first?.actor.role, .system)
        XCTAssertEqual(received.first?.actor.accountID, DirectoryFeedWorkers.actorAccountID)
        XCTAssertEqual(received.first?.idempotencyKey, "contact-\(received.first?.entry.accountId ?? "")-\(received.first?.entry.version ?? 0)")
    }
}

/// Stands in for notifications' SetContact: records each entry with the actor that sent it.
final class FakeNotifications: RPCServiceProvider, Sendable {
    struct Call: Sendable {
        var entry: Xsc_Notifications_V1_SetContactRequest
        var actor: VerifiedActor
        var idempotencyKey: String?
    }

    let received = Mutex<[Call]>([])
    let verifier: ActorVerifier

    init(secret: ActorSecret) {
        verifier = ActorVerifier(secret: secret, audience: "notifications")
    }

    var rpcService: RPCService {
        RPCService(name: "xsc.notifications.v1.NotificationService", methods: [
            .unary("SetContact") { [self] (request: Xsc_Notifications_V1_SetContactRequest, context: ServerContext)
                -> Xsc_Notifications_V1_SetContactResponse in
                let actor = try verifier.verify(context.requestMetadata)
                received.withLock { $0.append(Call(entry: request, actor: actor,
                                                   idempotencyKey: context.requestMetadata["idempotency-key"])) }
                var response = Xsc_Notifications_V1_SetContactResponse()
                response.applied = true
                return response
            },
        ])
    }
}
