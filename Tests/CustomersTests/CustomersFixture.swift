import Foundation
import Messages
import Customers
import Postgres
import ProtoCodec
import RPC
import ServiceKit
import ServiceKitStore
import XSCTestSupport
import XCTest

/// A fresh database with the customers schema (ServiceDatabase: own role, platform + service
/// migrations from services/customers/migrations), a
/// CustomerFlow on a manual clock, actors as the gateway signs them, and two teams:
/// t7 (cq) and t1 (sc), each with salespeople, a team admin and an intermediary, fed into the
/// directory as the gateway would.
final class CustomersFixture: @unchecked Sendable {
    let database: ServiceDatabase
    let pool: PostgresPool
    let clock = ManualWallClock(startingAt: 1_760_000_000_000)
    let flow: CustomerFlow
    private let secret = ActorSecret("customers-tests-secret-0123456789abcdef")!

    static let teamA = "/hq/cq/cq-o1/cq-o1-d3/t7"
    static let teamB = "/hq/sc/sc-o2/sc-o2-d1/t1"

    private init(database: ServiceDatabase) {
        self.database = database
        pool = database.pool
        flow = CustomerFlow(pool: pool, clock: clock.now)
    }

    static func make(_ testCase: XCTestCase) async throws -> CustomersFixture {
        let fixture = CustomersFixture(database: try await ServiceDatabase.make(testCase, service: "customers", maxConnections: 24))
        try await fixture.seedDirectory()
        return fixture
    }

    func close() { database.close() }

    // MARK: actors

    func actor(_ account: String, _ role: VerifiedActor.Role, team: String, domainRole: String) throws -> VerifiedActor {
        var context = Xsc_Common_V1_ActorContext()
        context.accountId = account
        context.role = role
        context.teamPath = team
        context.requestId = ActorMint.randomRequestID()
        context.expiresAtMs = SystemWallClock.now() + 3_600_000
        context.domainRole = domainRole
        return try ActorVerifier(secret: secret).verify(ActorSigner(secret: secret).sign(context))
    }

    var salesA: VerifiedActor { get throws { try actor("sales-a1", .staff, team: Self.teamA, domainRole: "salesperson") } }
    var salesA2: VerifiedActor { get throws { try actor("sales-a2", .staff, team: Self.teamA, domainRole: "salesperson") } }
    var salesA3: VerifiedActor { get throws { try actor("sales-a3", .staff, team: Self.teamA, domainRole: "salesperson") } }
    var adminA: VerifiedActor { get throws { try actor("admin-a", .staff, team: Self.teamA, domainRole: "team_admin") } }
    var salesB: VerifiedActor { get throws { try actor("sales-b1", .staff, team: Self.teamB, domainRole: "salesperson") } }
    var adminB: VerifiedActor { get throws { try actor("admin-b", .staff, team: Self.teamB, domainRole: "team_admin") } }
    var intermediary: VerifiedActor { get throws { try actor("ref-1", .staff, team: Self.teamA, domainRole: "intermediary") } }
    var officeLead: VerifiedActor { get throws { try actor("lead-o1", .staff, team: "/hq/cq/cq-o1", domainRole: "office_order_lead") } }
    var hqAdmin: VerifiedActor { get throws { try actor("hq-admin", .admin, team: "/hq", domainRole: "hq_admin") } }
    var system: VerifiedActor { get throws { try actor("svc-orders", .system, team: "/", domainRole: "") } }

    private func seedDirectory() async throws {
        let members: [(String, String, String, String)] = [
            ("sales-a1", "业务员 赵", "salesperson", Self.teamA), ("sales-a2", "业务员 钱", "salesperson", Self.teamA),
            ("sales-a3", "业务员 孙", "salesperson", Self.teamA), ("admin-a", "团队管理员 杨", "team_admin", Self.teamA),
            ("ref-1", "中间人 黄", "intermediary", Self.teamA), ("sales-b1", "业务员 李", "salesperson", Self.teamB),
            ("admin-b", "团队管理员 周", "team_admin", Self.teamB), ("lead-o1", "办事处 张", "office_order_lead", "/hq/cq/cq-o1"),
        ]
        for (index, member) in members.enumerated() {
            var entry = Xsc_Common_V1_DirectoryEntry()
            entry.accountId = member.0
            entry.name = member.1
            entry.domainRole = member.2
            entry.nodePath = member.3
            entry.enabled = true
            entry.version = Int64(index + 1)
            _ = try await flow.setDirectoryEntry(entry, actor: try system)
        }
    }

    // MARK: data

    static func input(_ name: String = "张三", phones: [String] = ["13800138000"], address: String = "重庆市渝中区解放碑1号",
                      tags: [String] = [], grade: Xsc_Customers_V1_Grade = .unspecified) -> Xsc_Customers_V1_CustomerInput {
        var input = Xsc_Customers_V1_CustomerInput()
        input.name = name
        input.phones = phones
        input.address = address
        input.districtId = "cq-o1-d3"
        input.kind = .gift
        input.grade = grade
        input.tags = tags
        return input
    }

    func create(_ input: Xsc_Customers_V1_CustomerInput, by actor: VerifiedActor, key: String? = nil) async throws -> Xsc_Customers_V1_CustomerResponse {
        var request = Xsc_Customers_V1_CreateCustomerRequest()
        request.customer = input
        return try await flow.create(request, actor: actor, idempotencyKey: key)
    }

    func sms() async throws -> [Xsc_Notifications_V1_SendRequest] {
        let rows = try await pool.query("""
            SELECT payload FROM xsc_outbox WHERE destination = 'notifications' ORDER BY id
            """)
        return try rows.map { try Xsc_Notifications_V1_SendRequest(serializedBytes: try $0.decode([UInt8].self, at: 0)) }
    }

    func count(_ sql: String, _ parameters: [PostgresValue] = []) async throws -> Int {
        try await pool.query(sql, parameters)[0].decode(Int.self, at: 0)
    }

    func timerWorker() throws -> TimerWorker {
        var configuration = TimerWorker.Configuration()
        configuration.reportError = { worker, error in XCTFail("\(worker): \(error)") }
        return try TimerWorker(pool: pool, handlers: flow.timerHandlers, configuration: configuration, clock: clock.now, name: "customers-test-timers")
    }
}

/// Runs `body`, which must fail with an RPCError of `code`; returns the error.
@discardableResult
func expectRPCError<T>(_ code: StatusCode, _ what: String = "", file: StaticString = #filePath, line: UInt = #line,
                       _ body: () async throws -> T) async -> RPCError? {
    do {
        let value = try await body()
        XCTFail("expected \(code) \(what), got \(value)", file: file, line: line)
    } catch let error as RPCError {
        XCTAssertEqual(error.code, code, "\(what): \(error.message)", file: file, line: line)
        return error
    } catch {
        XCTFail("expected RPCError \(code) \(what), got \(error)", file: file, line: line)
    }
    return nil
}

extension RPCError {
    var violatedFields: [String] {
        guard let details, let status = try? Google_Rpc_Status(serializedBytes: details) else { return [] }
        return status.details.filter { $0.typeUrl.hasSuffix("google.rpc.BadRequest") }.flatMap { any in
            ((try? Google_Rpc_BadRequest(serializedBytes: any.value))?.fieldViolations ?? []).map(\.field)
        }
    }

    var reason: String? {
        guard let details, let status = try? Google_Rpc_Status(serializedBytes: details) else { return nil }
        return status.details.filter { $0.typeUrl.hasSuffix("google.rpc.ErrorInfo") }.compactMap { try? Google_Rpc_ErrorInfo(serializedBytes: $0.value) }.first?.reason
    }
}

/// XCTUnwrap for a value computed with `await` (XCTUnwrap's autoclosure cannot await).
func unwrap<T>(_ value: T?, file: StaticString = #filePath, line: UInt = #line) throws -> T {
    try XCTUnwrap(value, file: file, line: line)
}
