import Messages
@testable import Proposals
import RPC
import ServiceKitStore
import XCTest

/// Drafts, submission and the decision against a real PostgreSQL, on a manual clock.
final class DecisionFlowTests: XCTestCase {
    var fixture: ProposalsFixture!

    override func setUp() async throws {
        fixture = try await ProposalsFixture.make(self)
    }

    override func tearDown() async throws {
        fixture?.close()
    }

    func testEveryBadFieldIsNamed() async throws {
        var draft = fixture.draft(participants: ["alice", "eve"])
        draft.title = ""
        draft.checkpointAtMs = [draft.finishAtMs + 1]
        let error = await rpcFailure { _ = try await self.fixture.created(draft) }
        XCTAssertEqual(error?.code, .invalidArgument)
        XCTAssertEqual(badFields(error), ["draft.title", "draft.participant_account_ids[1]", "draft.checkpoint_at_ms[0]"])
    }

    func testDraftsAreEditableSubmittedOnesNot() async throws {
        let created = try await fixture.created(key: "create-1")
        XCTAssertEqual(created.state, .draft)
        let again = try await fixture.created(key: "create-1")
        XCTAssertEqual(again.id, created.id, "same key, same request: the first answer")

        var update = Xsc_Proposals_V1_UpdateProposalRequest()
        update.proposalId = created.id
        var draft = fixture.draft(participants: ["bob"])
        draft.title = "改名"
        update.draft = draft
        let edited = try await fixture.flow.update(update, actor: try fixture.actor("alice"))
        XCTAssertEqual(edited.draft?.title, "改名")
        XCTAssertEqual(edited.draft?.participantAccountIds, ["bob"])

        let bobsTry = await rpcFailure { _ = try await self.fixture.flow.update(update, actor: try self.fixture.actor("bob")) }
        XCTAssertEqual(bobsTry?.code, .notFound, "a draft is its proposer's alone")

        let submitted = try await fixture.flow.submit(ProposalsFixture.ref(created.id), actor: try fixture.actor("alice"), idempotencyKey: "s-1")
        XCTAssertEqual(submitted.state, .submitted)
        let replay = try await fixture.flow.submit(ProposalsFixture.ref(created.id), actor: try fixture.actor("alice"), idempotencyKey: "s-1")
        XCTAssertEqual(replay.submittedAtMs, submitted.submittedAtMs)
        let twice = await rpcFailure {
            _ = try await self.fixture.flow.submit(ProposalsFixture.ref(created.id), actor: try self.fixture.actor("alice"), idempotencyKey: nil)
        }
        XCTAssertEqual(twice?.code, .failedPrecondition)
        let late = await rpcFailure { _ = try await self.fixture.flow.update(update, actor: try self.fixture.actor("alice")) }
        XCTAssertEqual(late?.code, .failedPrecondition, "a submitted proposal cannot be edited")
    }

    func testSubmissionTellsTheSuperiorAtOnceWhoDecidesInTime() async throws {
        let proposal = try await fixture.submitted()
        XCTAssertEqual(proposal.deciderAccountIds, ["admin7"])
        XCTAssertEqual(proposal.decisionDueAtMs, fixture.clock.nowMillis() + 1_800_000, "30 minutes by default")
        let asked = try await fixture.sms()
        XCTAssertEqual(asked.map(\.template), ["proposal_submitted"])
        XCTAssertEqual(asked.first?.accountId, "admin7")
        XCTAssertEqual(asked.first?.params["title"], "社区品鉴会")
        XCTAssertNil(asked.first?.params["due"], "the standard text names the 30 minutes itself")

        fixture.clock.advance(by: .seconds(60))
        let opened = try await fixture.flow.get(ProposalsFixture.ref(proposal.id), actor: try fixture.actor("admin7"))
        XCTAssertEqual(opened.firstOpenedBy, "admin7")
        XCTAssertEqual(opened.firstOpenedAtMs, fixture.clock.nowMillis())

        let bobDecides = await rpcFailure { _ = try await self.fixture.decided(proposal.id, by: "bob") }
        XCTAssertEqual(bobDecides?.code, .permissionDenied)
        var empty = Xsc_Proposals_V1_DecideRequest()
        empty.proposalId = proposal.id
        let noComment = await rpcFailure { _ = try await self.fixture.flow.decide(empty, actor: try self.fixture.actor("admin7"), idempotencyKey: nil) }
        XCTAssertEqual(badFields(noComment), ["decision", "comment"])

        let decided = try await fixture.decided(proposal.id, by: "admin7", comment: "可以，注意安全")
        XCTAssertEqual(decided.state, .executing)
        XCTAssertEqual(decided.decisionComment, "可以，注意安全")
        XCTAssertFalse(decided.decisionLate)
        let told = try await fixture.sms().dropFirst()
        XCTAssertEqual(told.map(\.template), ["proposal_decision", "proposal_decision"])
        XCTAssertEqual(Set(told.map(\.accountId)), ["alice", "bob"])

        try await fixture.advance(seconds: 1_900)
        let events = try await fixture.violationEvents()
        XCTAssertEqual(events.count, 0, "decided in time: no violation")
    }

    func testTerminatedWithAComment() async throws {
        let proposal = try await fixture.submitted()
        let decided = try await fixture.decided(proposal.id, by: "admin7", execute: false, comment: "预算不够")
        XCTAssertEqual(decided.state, .terminated)
        XCTAssertEqual(decided.decision, .terminate)
        let timer = try await Timers().entry(pool: fixture.pool, kind: TimerKind.decision, subjectID: proposal.id)
        XCTAssertNil(timer, "the decision timer is cancelled")
        let report = await rpcFailure {
            var request = Xsc_Proposals_V1_ReportCheckpointRequest()
            request.proposalId = proposal.id
            request.checkpointId = decided.checkpoints[0].id
            request.result = "x"
            _ = try await self.fixture.flow.reportCheckpoint(request, actor: try self.fixture.actor("alice"), idempotencyKey: nil)
        }
        XCTAssertEqual(report?.code, .failedPrecondition)
    }

    func testNoDecisionEscalatesRecordsAViolationAndALateDecisionStillCounts() async throws {
        var settings = Xsc_Proposals_V1_TeamSettings()
        settings.teamPath = ProposalsFixture.t7
        settings.decisionWindowSeconds = 5
        settings.reportGraceSeconds = 60
        settings.reviewWindowSeconds = 600
        settings.reminderLeadSeconds = 30
        var set = Xsc_Proposals_V1_SetTeamSettingsRequest()
        set.settings = settings
        let bobSets = await rpcFailure { _ = try await self.fixture.flow.setTeamSettings(set, actor: try self.fixture.actor("bob")) }
        XCTAssertEqual(bobSets?.code, .permissionDenied)
        _ = try await fixture.flow.setTeamSettings(set, actor: try fixture.actor("admin7"))

        let proposal = try await fixture.submitted()
        let hidden = await rpcFailure { _ = try await self.fixture.flow.get(ProposalsFixture.ref(proposal.id), actor: try self.fixture.actor("dlead")) }
        XCTAssertEqual(hidden?.code, .notFound, "the district lead is not asked yet: the proposal is closed to it")

        try await fixture.advance(seconds: 6)
        let events = try await fixture.violationEvents()
        XCTAssertEqual(events.map(\.rule), ["proposal_decision"])
        XCTAssertEqual(events.first?.personAccountId, "admin7")
        XCTAssertEqual(events.first?.proposalId, proposal.id)
        XCTAssertEqual(events.first?.teamPath, ProposalsFixture.t7)
        let submittedSMS = try await fixture.sms().first
        XCTAssertEqual(submittedSMS?.template, "proposal_submitted_due", "a 5-second window is named by its deadline")
        XCTAssertEqual(submittedSMS?.params.keys.sorted(), ["due", "proposer", "title"])
        let escalation = try await fixture.sms().last
        XCTAssertEqual(escalation?.template, "proposal_escalated")
        XCTAssertEqual(escalation?.accountId, "dlead")

        let seen = try await fixture.flow.get(ProposalsFixture.ref(proposal.id), actor: try fixture.actor("dlead"))
        XCTAssertEqual(seen.escalations, 1)
        XCTAssertEqual(seen.deciderAccountIds, ["admin7", "dlead"])

        // The original superior decides after all: it counts, marked late, and ends the chase.
        let decided = try await fixture.decided(proposal.id, by: "admin7")
        XCTAssertEqual(decided.state, .executing)
        XCTAssertTrue(decided.decisionLate)
        XCTAssertEqual(decided.violations.map(\.personAccountId), ["admin7"])
        try await fixture.advance(seconds: 10)
        let after = try await fixture.violationEvents()
        XCTAssertEqual(after.count, 1, "no violation against the next superior once decided")
    }

    func testEscalationWalksUpTheChainOneLevelPerWindow() async throws {
        var settings = TeamDeadlines()
        settings.decisionWindow = 5
        var set = Xsc_Proposals_V1_SetTeamSettingsRequest()
        set.settings = settings.message(teamPath: ProposalsFixture.t7)
        _ = try await fixture.flow.setTeamSettings(set, actor: try fixture.actor("olead"))
        let proposal = try await fixture.submitted()
        for _ in 0..<4 { try await fixture.advance(seconds: 6) }
        let events = try await fixture.violationEvents()
        XCTAssertEqual(events.map(\.personAccountId), ["admin7", "dlead", "olead"], "one violation per level, then the chain ends")
        let decided = try await fixture.decided(proposal.id, by: "olead")
        XCTAssertTrue(decided.decisionLate)
    }
}
