import Messages
@testable import Proposals
import RPC
import ServiceKitStore
import XCTest

/// Checkpoint reports, the finish, analysis and evaluations, and the violations for what is
/// missing, all driven by durable timers on a manual clock.
final class ExecutionFlowTests: XCTestCase {
    var fixture: ProposalsFixture!

    override func setUp() async throws {
        fixture = try await ProposalsFixture.make(self)
        var settings = TeamDeadlines()
        settings.reportGrace = 60
        settings.reviewWindow = 600
        settings.reminderLead = 120
        var set = Xsc_Proposals_V1_SetTeamSettingsRequest()
        set.settings = settings.message(teamPath: ProposalsFixture.t7)
        _ = try await fixture.flow.setTeamSettings(set, actor: try fixture.actor("admin7"))
    }

    override func tearDown() async throws {
        fixture?.close()
    }

    func report(_ proposal: Xsc_Proposals_V1_Proposal, by account: String, result: String = "已完成场地预订") async throws -> Xsc_Proposals_V1_Proposal {
        var request = Xsc_Proposals_V1_ReportCheckpointRequest()
        request.proposalId = proposal.id
        request.checkpointId = proposal.checkpoints[0].id
        request.result = result
        return try await fixture.flow.reportCheckpoint(request, actor: try fixture.actor(account), idempotencyKey: nil)
    }

    func testCheckpointReportedOnTimeAndMissed() async throws {
        let submitted = try await fixture.submitted()
        let proposal = try await fixture.decided(submitted.id, by: "admin7")
        XCTAssertEqual(proposal.checkpoints[0].dueAtMs, proposal.checkpoints[0].atMs + 60_000)

        let outsider = await rpcFailure { _ = try await self.report(proposal, by: "admin7") }
        XCTAssertEqual(outsider?.code, .permissionDenied, "only participants report")
        let empty = await rpcFailure { _ = try await self.report(proposal, by: "alice", result: " ") }
        XCTAssertEqual(badFields(empty), ["result"])

        // 88 minutes on: the reminder (2 minutes before the checkpoint at +90) goes to both.
        try await fixture.advance(seconds: 88 * 60)
        let reminders = try await fixture.sms().filter { $0.template == "proposal_checkpoint_reminder" }
        XCTAssertEqual(Set(reminders.map(\.accountId)), ["alice", "bob"])

        let reported = try await report(proposal, by: "alice")
        XCTAssertEqual(reported.checkpoints[0].reports.map(\.accountId), ["alice"])
        XCTAssertFalse(reported.checkpoints[0].reports[0].late)
        let twice = await rpcFailure { _ = try await self.report(proposal, by: "alice") }
        XCTAssertEqual(twice?.code, .alreadyExists)

        try await fixture.advance(seconds: 3 * 60 + 1)
        let events = try await fixture.violationEvents()
        XCTAssertEqual(events.map(\.rule), ["proposal_checkpoint"])
        XCTAssertEqual(events.map(\.personAccountId), ["bob"])
        XCTAssertEqual(events.first?.reference, proposal.checkpoints[0].id)
        XCTAssertEqual(events.first?.dueAtMs, proposal.checkpoints[0].dueAtMs)

        let lateReport = try await report(proposal, by: "bob")
        XCTAssertTrue(lateReport.checkpoints[0].reports.first { $0.accountId == "bob" }?.late ?? false)
        let after = try await fixture.violationEvents()
        XCTAssertEqual(after.count, 1, "a late report does not record the miss twice")
    }

    func testACheckpointThatPassedBeforeTheDecisionWasNeverOwed() async throws {
        var draft = fixture.draft()
        draft.startAtMs = fixture.clock.nowMillis() + 60_000
        draft.checkpointAtMs = [fixture.clock.nowMillis() + 600_000]
        draft.finishAtMs = fixture.clock.nowMillis() + 3 * 3_600_000
        let created = try await fixture.created(draft)
        _ = try await fixture.flow.submit(ProposalsFixture.ref(created.id), actor: try fixture.actor("alice"), idempotencyKey: nil)
        try await fixture.advance(seconds: 15 * 60)
        let proposal = try await fixture.decided(created.id, by: "admin7")
        let checkpointTimer = try await Timers().entry(pool: fixture.pool, kind: TimerKind.checkpoint, subjectID: proposal.checkpoints[0].id)
        XCTAssertNil(checkpointTimer, "no deadline for a checkpoint already past at the decision")
        let reported = try await report(proposal, by: "alice")
        XCTAssertTrue(reported.checkpoints[0].reports[0].late)
        let events = try await fixture.violationEvents()
        XCTAssertTrue(events.isEmpty, "nothing was owed before execution started")
    }

    /// Two workers (two replicas) racing over the same due timers: each fires once, so each
    /// miss is recorded and sent once.
    func testTwoReplicasFireEachDeadlineOnce() async throws {
        var ids: [String] = []
        for _ in 0..<12 { ids.append(try await fixture.decided(try await fixture.submitted().id, by: "admin7").id) }
        fixture.clock.advance(by: .seconds(92 * 60))
        let first = try fixture.timerWorker(), second = try fixture.timerWorker()
        async let a: Int = { var n = 0; while true { let k = try await first.runOnce(); n += k; if k == 0 { return n } } }()
        async let b: Int = { var n = 0; while true { let k = try await second.runOnce(); n += k; if k == 0 { return n } } }()
        let fired = try await a + b
        let events = try await fixture.violationEvents()
        XCTAssertEqual(events.count, 24, "12 checkpoints x 2 participants, each once")
        XCTAssertEqual(Set(events.map { "\($0.reference)/\($0.personAccountId)" }).count, 24)
        XCTAssertEqual(fired, 12 * 2, "each proposal's reminder and checkpoint deadline, fired by one worker or the other")
        XCTAssertEqual(ids.count, 12)
    }

    func testAnalysisEvaluationsAndViolationsForTheMissingOnes() async throws {
        let submitted = try await fixture.submitted()
        let proposal = try await fixture.decided(submitted.id, by: "admin7")

        var analysis = Xsc_Proposals_V1_SubmitAnalysisRequest()
        analysis.proposalId = proposal.id
        analysis.analysis = "到场 40 人，现场成交 12 箱"
        let early = await rpcFailure { _ = try await self.fixture.flow.submitAnalysis(analysis, actor: try self.fixture.actor("alice"), idempotencyKey: nil) }
        XCTAssertEqual(early?.code, .failedPrecondition, "analysis opens at the finish")

        try await fixture.advance(seconds: 2 * 3600)
        let reviewing = try await fixture.flow.get(ProposalsFixture.ref(proposal.id), actor: try fixture.actor("bob"))
        XCTAssertEqual(reviewing.state, .reviewing)
        XCTAssertEqual(reviewing.reviewDueAtMs, proposal.draft!.finishAtMs + 600_000)
        let asked = try await fixture.sms().filter { $0.template == "proposal_review_due" }
        XCTAssertEqual(Set(asked.map(\.accountId)), ["alice", "bob"])

        let bobAnalyses = await rpcFailure { _ = try await self.fixture.flow.submitAnalysis(analysis, actor: try self.fixture.actor("bob"), idempotencyKey: nil) }
        XCTAssertEqual(bobAnalyses?.code, .permissionDenied)
        let analysed = try await fixture.flow.submitAnalysis(analysis, actor: try fixture.actor("alice"), idempotencyKey: nil)
        XCTAssertEqual(analysed.analysis, "到场 40 人，现场成交 12 箱")

        var evaluation = Xsc_Proposals_V1_SubmitEvaluationRequest()
        evaluation.proposalId = proposal.id
        evaluation.score = 6
        evaluation.text = ""
        let bad = await rpcFailure { _ = try await self.fixture.flow.submitEvaluation(evaluation, actor: try self.fixture.actor("bob"), idempotencyKey: nil) }
        XCTAssertEqual(badFields(bad), ["score", "text"])
        evaluation.score = 4
        evaluation.text = "组织得好，宣传可以更早"
        let evaluated = try await fixture.flow.submitEvaluation(evaluation, actor: try fixture.actor("bob"), idempotencyKey: nil)
        XCTAssertEqual(evaluated.evaluations.map(\.accountId), ["bob"])
        XCTAssertEqual(evaluated.state, .reviewing, "alice has not evaluated yet")

        try await fixture.advance(seconds: 601)
        let closed = try await fixture.flow.get(ProposalsFixture.ref(proposal.id), actor: try fixture.actor("bob"))
        XCTAssertEqual(closed.state, .closed, "every matter that starts ends")
        let events = try await fixture.violationEvents()
        // Checkpoint misses (nobody reported) and alice's missing evaluation; the analysis was in.
        XCTAssertEqual(events.filter { $0.rule == "proposal_evaluation" }.map(\.personAccountId), ["alice"])
        XCTAssertEqual(events.filter { $0.rule == "proposal_analysis" }.count, 0)
        XCTAssertEqual(Set(events.filter { $0.rule == "proposal_checkpoint" }.map(\.personAccountId)), ["alice", "bob"])
        let tooLate = await rpcFailure { _ = try await self.fixture.flow.submitEvaluation(evaluation, actor: try self.fixture.actor("alice"), idempotencyKey: nil) }
        XCTAssertEqual(tooLate?.code, .failedPrecondition)
    }

    func testAllInClosesAtOnceAndAMissingAnalysisIsAViolation() async throws {
        let submitted = try await fixture.submitted()
        let proposal = try await fixture.decided(submitted.id, by: "admin7")
        try await fixture.advance(seconds: 2 * 3600)
        var evaluation = Xsc_Proposals_V1_SubmitEvaluationRequest()
        evaluation.proposalId = proposal.id
        evaluation.score = 5
        evaluation.text = "好"
        for account in ["alice", "bob"] {
            _ = try await fixture.flow.submitEvaluation(evaluation, actor: try fixture.actor(account), idempotencyKey: nil)
        }
        try await fixture.advance(seconds: 601)
        let events = try await fixture.violationEvents().filter { $0.rule == "proposal_analysis" }
        XCTAssertEqual(events.map(\.personAccountId), ["alice"])

        // A second proposal: everything in closes it at once, no review violation.
        let second = try await fixture.decided(try await fixture.submitted().id, by: "admin7")
        try await fixture.advance(seconds: 2 * 3600)
        for account in ["alice", "bob"] {
            evaluation.proposalId = second.id
            _ = try await fixture.flow.submitEvaluation(evaluation, actor: try fixture.actor(account), idempotencyKey: nil)
        }
        var analysis = Xsc_Proposals_V1_SubmitAnalysisRequest()
        analysis.proposalId = second.id
        analysis.analysis = "效果好"
        let closed = try await fixture.flow.submitAnalysis(analysis, actor: try fixture.actor("alice"), idempotencyKey: nil)
        XCTAssertEqual(closed.state, .closed)
        let review = try await Timers().entry(pool: fixture.pool, kind: TimerKind.review, subjectID: second.id)
        XCTAssertNil(review)
    }
}
