import Foundation
import Messages
import Postgres
import ProtoCodec
@testable import Proposals
import RPC
import ServiceKit
import ServiceKitStore
import XSCTestSupport
import XCTest

/// A fresh database with the proposals schema (ServiceDatabase: own role, platform + service migrations), a
/// ProposalFlow on a manual clock, minted actors and a small organisation fed through the
/// directory: team t7 (alice and bob, salespeople; admin7, its team admin) under district d3
/// (lead dlead) under office o1 (lead olead); team t8 (eve) beside t7.
final class ProposalsFixture: @unchecked Sendable {
    let pool: PostgresPool
    let clock = ManualWallClock(startingAt: 1_760_000_000_000)
    let flow: ProposalFlow
    private let secret = ActorSecret("proposals-tests-secret-0123456789abcdef")!

    static let t7 = "/hq/cq/cq-o1/cq-o1-d3/t7"
    static let t8 = "/hq/cq/cq-o1/cq-o1-d3/t8"
    static let d3 = "/hq/cq/cq-o1/cq-o1-d3"
    static let o1 = "/hq/cq/cq-o1"

    static let people: [(id: String, role: String, node: String)] = [
        ("alice", "salesperson", t7), ("bob", "salesperson", t7), ("admin7", "team_admin", t7),
        ("eve", "salesperson", t8), ("admin8", "team_admin", t8),
        ("dlead", "district_order_lead", d3), ("olead", "office_order_lead", o1),
    ]

    private let database: ServiceDatabase

    private init(database: ServiceDatabase) {
        self.database = database
        pool = database.pool
        flow = ProposalFlow(pool: pool, clock: clock.now)
    }

    static func make(_ testCase: XCTestCase) async throws -> ProposalsFixture {
        let fixture = ProposalsFixture(database: try await ServiceDatabase.make(testCase, service: "proposals"))
        for (index, person) in people.enumerated() {
            try await fixture.directory(person.id, role: person.role, node: person.node, version: Int64(index + 1))
        }
        return fixture
    }

    func close() { database.close() }

    @discardableResult
    func directory(_ id: String, role: String, node: String, enabled: Bool = true, version: Int64) async throws -> Bool {
        var entry = Xsc_Common_V1_DirectoryEntry()
        entry.accountId = id
        entry.name = id.capitalized
        entry.domainRole = role
        entry.nodePath = node
        entry.enabled = enabled
        entry.version = version
        return try await flow.setDirectoryEntry(entry, actor: system).applied
    }

    // MARK: actors

    func actor(_ id: String) throws -> VerifiedActor {
        let person = try XCTUnwrap(Self.people.first { $0.id == id })
        return try gatewayActor(id, team: person.node, domainRole: person.role)
    }

    func gatewayActor(_ account: String, role: VerifiedActor.Role = .staff, team: String, domainRole: String) throws -> VerifiedActor {
        var context = Xsc_Common_V1_ActorContext()
        context.accountId = account
        context.role = role
        context.teamPath = team
        context.requestId = ActorMint.randomRequestID()
        context.expiresAtMs = SystemWallClock.now() + 3_600_000
        context.domainRole = domainRole
        return try ActorVerifier(secret: secret).verify(ActorSigner(secret: secret).sign(context))
    }

    var system: VerifiedActor {
        get throws { try ActorVerifier(secret: secret).verify(ActorMint.mint(secret: secret, accountID: "svc-gateway", role: .system, teamPath: "/")) }
    }

    // MARK: helpers

    func timerWorker() throws -> TimerWorker {
        var configuration = TimerWorker.Configuration()
        configuration.reportError = { worker, error in XCTFail("\(worker): \(error)") }
        configuration.batchSize = 100
        return try TimerWorker(pool: pool, handlers: flow.timerHandlers, configuration: configuration, clock: clock.now, name: "proposals-test-timers")
    }

    /// Moves the clock and fires whatever became due.
    func advance(seconds: Int64) async throws {
        clock.advance(by: .seconds(seconds))
        let worker = try timerWorker()
        while try await worker.runOnce() > 0 {}
    }

    /// A draft starting in an hour: checkpoint at +90 min, finish at +2 h, participants alice and bob.
    func draft(participants: [String] = ["alice", "bob"]) -> Xsc_Proposals_V1_ProposalDraft {
        let now = clock.nowMillis()
        var draft = Xsc_Proposals_V1_ProposalDraft()
        draft.title = "社区品鉴会"
        draft.purpose = "让新小区认识我们的酒"
        draft.content = "周六在小区会所办一场品鉴会"
        draft.resources = "样酒 12 瓶"
        draft.participantAccountIds = participants
        draft.startAtMs = now + 3_600_000
        draft.finishAtMs = now + 7_200_000
        draft.checkpointAtMs = [now + 5_400_000]
        return draft
    }

    func created(by account: String = "alice", _ draft: Xsc_Proposals_V1_ProposalDraft? = nil, key: String? = nil) async throws -> Xsc_Proposals_V1_Proposal {
        var request = Xsc_Proposals_V1_CreateProposalRequest()
        request.draft = draft ?? self.draft()
        return try await flow.create(request, actor: try actor(account), idempotencyKey: key)
    }

    func submitted(by account: String = "alice") async throws -> Xsc_Proposals_V1_Proposal {
        let proposal = try await created(by: account)
        return try await flow.submit(Self.ref(proposal.id), actor: try actor(account), idempotencyKey: nil)
    }

    func decided(_ id: String, by account: String, execute: Bool = true, comment: String = "同意") async throws -> Xsc_Proposals_V1_Proposal {
        var request = Xsc_Proposals_V1_DecideRequest()
        request.proposalId = id
        request.decision = execute ? .execute : .terminate
        request.comment = comment
        return try await flow.decide(request, actor: try actor(account), idempotencyKey: nil)
    }

    static func ref(_ id: String) -> Xsc_Proposals_V1_ProposalRequest {
        var request = Xsc_Proposals_V1_ProposalRequest()
        request.proposalId = id
        return request
    }

    /// The SMS requests queued in the outbox, oldest first.
    func sms() async throws -> [Xsc_Notifications_V1_SendRequest] {
        try await pool.query("""
            SELECT payload FROM xsc_outbox WHERE destination = 'notifications' ORDER BY id
            """).map { try Xsc_Notifications_V1_SendRequest(serializedBytes: try $0.decode([UInt8].self, at: 0)) }
    }

    /// The violations queued for settlements, oldest first.
    func violationEvents() async throws -> [Xsc_Proposals_V1_ProposalViolation] {
        try await pool.query("""
            SELECT payload FROM xsc_outbox WHERE destination = 'settlements'
              AND method_path = '/xsc.settlements.v1.SettlementService/RecordProposalViolation' ORDER BY id
            """).map { try Xsc_Proposals_V1_ProposalViolation(serializedBytes: try $0.decode([UInt8].self, at: 0)) }
    }
}

/// The status and message of a failed call, for comparisons.
func rpcFailure(_ body: () async throws -> Void, file: StaticString = #filePath, line: UInt = #line) async -> RPCError? {
    do {
        try await body()
        XCTFail("expected an error", file: file, line: line)
        return nil
    } catch let error as RPCError {
        return error
    } catch {
        XCTFail("unexpected \(error)", file: file, line: line)
        return nil
    }
}

/// The field violations of an INVALID_ARGUMENT.
func badFields(_ error: RPCError?) -> [String] {
    guard let error, error.code == .invalidArgument, let details = error.details,
          let status = try? Google_Rpc_Status(serializedBytes: details) else { return [] }
    return status.details.compactMap { any -> [String]? in
        guard any.typeUrl.hasSuffix("google.rpc.BadRequest"), let request = try? Google_Rpc_BadRequest(serializedBytes: any.value) else { return nil }
        return request.fieldViolations.map(\.field)
    }.flatMap { $0 }
}
