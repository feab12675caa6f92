import Messages
@testable import Settlements
import XCTest

final class ViolationLedgerTests: XCTestCase {
    var fixture: SettlementsFixture!

    override func setUp() async throws { fixture = try await SettlementsFixture.make(self) }
    override func tearDown() async throws { fixture?.close() }

    func miss(_ eventID: String, step: Xsc_Orders_V1_SlaStep, people: [String], order: String = "o1") -> Xsc_Orders_V1_SlaViolation {
        var event = Xsc_Orders_V1_SlaViolation()
        event.eventId = eventID
        event.orderId = order
        event.orderCode = "C-\(order)"
        event.step = step
        event.stage = "确认接单"
        event.responsibleAccountIds = people
        event.dueAtMs = 1_000_000
        event.recordedAtMs = 1_060_000
        event.lateMs = 60_000
        event.regionId = "cq"
        event.creditedTeamPath = SettlementsFixture.team
        return event
    }

    func summary() async throws -> Xsc_Settlements_V1_ViolationSummaryResponse {
        try await fixture.flow.violationSummary(.init(), actor: try fixture.teamAdmin)
    }

    func testPenaltiesPerSeedTableAndSummary() async throws {
        _ = try await fixture.flow.recordViolation(miss("v1", step: .acknowledge, people: ["lead-1", "lead-2"]), actor: try fixture.system)
        _ = try await fixture.flow.recordViolation(miss("v2", step: .accept, people: ["dealer-1"], order: "o2"), actor: try fixture.system)
        let value1 = try await fixture.flow.recordViolation(miss("v1", step: .acknowledge, people: ["lead-1"]), actor: try fixture.system).applied
        XCTAssertFalse(value1)
        let result = try await summary()
        XCTAssertEqual(result.count, 3)
        XCTAssertEqual(result.penaltyFen, 20_000 + 20_000 + 200_000)
        XCTAssertEqual(result.people.first { $0.personAccountId == "dealer-1" }?.penaltyFen, 200_000)
        XCTAssertEqual(result.people.first { $0.personAccountId == "lead-1" }?.general, 1)
        // Closed in the team: another team, an ancestor included, gets NOT_FOUND.
        let office = try fixture.actor("lead-o1", .staff, team: "/hq/cq/cq-o1", domainRole: "office_order_lead")
        var request = Xsc_Settlements_V1_ViolationSummaryRequest()
        request.teamPath = SettlementsFixture.team
        await XCTAssertRPCError(.notFound) { try await self.fixture.flow.violationSummary(request, actor: office) }
        // The person sees its own.
        var own = Xsc_Settlements_V1_ListViolationsRequest()
        own.personAccountId = "lead-1"
        let mine = try await fixture.flow.listViolations(own, actor: try fixture.actor("lead-1", .staff, team: "/hq/cq/cq-o1"))
        XCTAssertEqual(mine.violations.map(\.reference), ["C-o1"])
    }

    func testWithdrawalBeforeOrAfterTheMiss() async throws {
        var withdrawal = Xsc_Orders_V1_SlaViolationWithdrawn()
        withdrawal.eventId = "w1"
        withdrawal.violationEventId = "v1"
        withdrawal.orderId = "o1"
        withdrawal.step = .acknowledge
        withdrawal.dueAtMs = 1_000_000
        withdrawal.withdrawnAtMs = 1_100_000
        // The withdrawal arrives first; the miss is then recorded as withdrawn.
        _ = try await fixture.flow.recordViolationWithdrawn(withdrawal, actor: try fixture.system)
        _ = try await fixture.flow.recordViolation(miss("v1", step: .acknowledge, people: ["lead-1"]), actor: try fixture.system)
        // The normal order: miss, then withdrawal.
        _ = try await fixture.flow.recordViolation(miss("v2", step: .assign, people: ["lead-2"], order: "o2"), actor: try fixture.system)
        withdrawal.eventId = "w2"
        withdrawal.violationEventId = "v2"
        withdrawal.orderId = "o2"
        _ = try await fixture.flow.recordViolationWithdrawn(withdrawal, actor: try fixture.system)
        _ = try await fixture.flow.recordViolation(miss("v3", step: .assign, people: ["lead-3"], order: "o3"), actor: try fixture.system)
        let result = try await summary()
        XCTAssertEqual(result.people.map(\.personAccountId), ["lead-3"])
        XCTAssertEqual(result.penaltyFen, 20_000)
        let all = try await fixture.flow.listViolations(.init(), actor: try fixture.teamAdmin)
        XCTAssertEqual(all.violations.filter(\.withdrawn).count, 2)
    }

    func testProposalViolation() async throws {
        var event = Xsc_Proposals_V1_ProposalViolation()
        event.eventId = "p1"
        event.rule = "proposal_checkpoint"
        event.personAccountId = "sales-1"
        event.teamPath = SettlementsFixture.team
        event.proposalId = "prop-1"
        event.reference = "cp-1"
        event.dueAtMs = 1_000
        event.recordedAtMs = 2_000
        _ = try await fixture.flow.recordProposalViolation(event, actor: try fixture.system)
        let all = try await fixture.flow.listViolations(.init(), actor: try fixture.teamAdmin)
        XCTAssertEqual(all.violations.map(\.rule), ["proposal_checkpoint"])
        XCTAssertEqual(all.violations.first?.penaltyFen, 20_000)
        XCTAssertEqual(all.violations.first?.class, .general)
    }
}

extension ViolationLedgerTests {
    /// With the directory's entry, a miss is booked on the person's own node (the office lead
    /// hangs on the office), and priced as a dealer when the person is one.
    func testDirectoryDecidesTheTeamOfTheMiss() async throws {
        var entry = Xsc_Common_V1_DirectoryEntry()
        entry.accountId = "lead-o1"
        entry.name = "王经理"
        entry.domainRole = "office_order_lead"
        entry.nodePath = "/hq/cq/cq-o1"
        entry.enabled = true
        entry.version = 1
        _ = try await fixture.flow.setDirectoryEntry(entry, actor: try fixture.system)
        await XCTAssertRPCError(.permissionDenied) { try await self.fixture.flow.setDirectoryEntry(entry, actor: try self.fixture.teamAdmin) }
        _ = try await fixture.flow.recordViolation(miss("v1", step: .acknowledge, people: ["lead-o1"]), actor: try fixture.system)
        let office = try fixture.actor("cs-1", .staff, team: "/hq/cq/cq-o1", domainRole: "office_order_lead")
        let result = try await fixture.flow.violationSummary(.init(), actor: office)
        XCTAssertEqual(result.people.map(\.personAccountId), ["lead-o1"])
        let team = try await summary()
        XCTAssertEqual(team.count, 0)
    }
}

extension ViolationLedgerTests {
    func directory(_ id: String, role: String, node: String) async throws {
        var entry = Xsc_Common_V1_DirectoryEntry()
        entry.accountId = id
        entry.name = id
        entry.domainRole = role
        entry.nodePath = node
        entry.enabled = true
        entry.version = 1
        _ = try await fixture.flow.setDirectoryEntry(entry, actor: try fixture.system)
    }

    /// A proven channel conflict is priced by its class and the person's kind; the team's own
    /// table overrides the company's for later violations.
    func testChannelConflictClassesAndTheTeamsOwnTable() async throws {
        try await directory("sales-9", role: "salesperson", node: SettlementsFixture.team)
        try await directory("dealer-9", role: "dealer", node: SettlementsFixture.team)
        try await directory("sales-sc", role: "salesperson", node: "/hq/sc/sc-o2/sc-o2-d1/t1")
        var request = Xsc_Settlements_V1_RecordChannelConflictRequest()
        request.personAccountId = "sales-9"
        request.class = .serious
        request.reference = "C-123"
        request.detail = "诱导退款后在商城重新下单"
        let serious = try await fixture.flow.recordChannelConflict(request, actor: try fixture.managerCQ, idempotencyKey: "c1")
        XCTAssertEqual(serious.penaltyFen, 50_000)
        let replay = try await fixture.flow.recordChannelConflict(request, actor: try fixture.managerCQ, idempotencyKey: "c1")
        XCTAssertEqual(replay.violationId, serious.violationId)
        request.personAccountId = "dealer-9"
        request.class = .severe
        let severe = try await fixture.flow.recordChannelConflict(request, actor: try fixture.managerCQ, idempotencyKey: "c2")
        XCTAssertEqual(severe.penaltyFen, 1_000_000)
        // Another region's person: not found for this manager; a missing class: invalid.
        request.personAccountId = "sales-sc"
        await XCTAssertRPCError(.notFound) {
            try await self.fixture.flow.recordChannelConflict(request, actor: try self.fixture.managerCQ, idempotencyKey: "c3")
        }
        request.class = .unspecified
        await XCTAssertRPCError(.invalidArgument) {
            try await self.fixture.flow.recordChannelConflict(request, actor: try self.fixture.managerCQ, idempotencyKey: "c4")
        }

        var own = Xsc_Settlements_V1_SetTeamPenaltyRequest()
        own.class = .serious
        own.personKind = .staff
        own.penaltyFen = 30_000
        await XCTAssertRPCError(.permissionDenied) { try await self.fixture.flow.setTeamPenalty(own, actor: try self.fixture.managerCQ) }
        _ = try await fixture.flow.setTeamPenalty(own, actor: try fixture.teamAdmin)
        request.personAccountId = "sales-9"
        request.class = .serious
        let teamPriced = try await fixture.flow.recordChannelConflict(request, actor: try fixture.managerCQ, idempotencyKey: "c5")
        XCTAssertEqual(teamPriced.penaltyFen, 30_000)
        let result = try await summary()
        XCTAssertEqual(result.penaltyFen, 50_000 + 1_000_000 + 30_000)
        XCTAssertEqual(result.people.first { $0.personAccountId == "sales-9" }?.serious, 2)
        XCTAssertEqual(result.people.first { $0.personAccountId == "dealer-9" }?.severe, 1)
    }
}
