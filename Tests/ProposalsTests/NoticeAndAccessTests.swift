import Messages
@testable import Proposals
import RPC
import ServiceKit
import ServiceKitStore
import XCTest

/// Team notices (the drill's third part), "what waits for me", counts, and the closed team:
/// every id-taking method answers another team exactly as for a missing id.
final class NoticeAndAccessTests: XCTestCase {
    var fixture: ProposalsFixture!

    override func setUp() async throws {
        fixture = try await ProposalsFixture.make(self)
    }

    override func tearDown() async throws {
        fixture?.close()
    }

    func publish(sms: Bool = true, acknowledgeBy: Int64 = 0) async throws -> Xsc_Proposals_V1_Notice {
        var request = Xsc_Proposals_V1_PublishNoticeRequest()
        request.title = "周六团购活动安排"
        request.body = "周六上午九点在小区门口集合。"
        request.sms = sms
        request.acknowledgeByMs = acknowledgeBy
        return try await fixture.flow.publishNotice(request, actor: try fixture.actor("admin7"), idempotencyKey: nil)
    }

    static func noticeRef(_ id: String) -> Xsc_Proposals_V1_NoticeRequest {
        var request = Xsc_Proposals_V1_NoticeRequest()
        request.noticeId = id
        return request
    }

    func testDrillPartThreeNoticeQuestionAnswerAndReads() async throws {
        var bad = Xsc_Proposals_V1_PublishNoticeRequest()
        bad.acknowledgeByMs = 1
        let refused = await rpcFailure { _ = try await self.fixture.flow.publishNotice(bad, actor: try self.fixture.actor("admin7"), idempotencyKey: nil) }
        XCTAssertEqual(badFields(refused), ["title", "body", "acknowledge_by_ms"])

        let notice = try await publish()
        let sms = try await fixture.sms()
        XCTAssertEqual(sms.map(\.template), ["team_notice", "team_notice"])
        XCTAssertEqual(Set(sms.map(\.accountId)), ["alice", "bob"])

        let before = try await fixture.flow.listNoticeReads(Self.noticeRef(notice.id), actor: try fixture.actor("admin7"))
        XCTAssertEqual(before.read.map(\.accountId), ["admin7"])
        XCTAssertEqual(before.unreadAccountIds, ["alice", "bob"])

        let opened = try await fixture.flow.getNotice(Self.noticeRef(notice.id), actor: try fixture.actor("bob"))
        XCTAssertEqual(opened.readAtMs, fixture.clock.nowMillis())
        var ask = Xsc_Proposals_V1_AskQuestionRequest()
        ask.noticeId = notice.id
        ask.text = "需要带样酒吗？"
        let question = try await fixture.flow.askQuestion(ask, actor: try fixture.actor("bob"), idempotencyKey: nil)

        var answer = Xsc_Proposals_V1_AnswerQuestionRequest()
        answer.questionId = question.id
        answer.answer = "不用，公司统一带。"
        let aliceAnswers = await rpcFailure { _ = try await self.fixture.flow.answerQuestion(answer, actor: try self.fixture.actor("alice"), idempotencyKey: nil) }
        XCTAssertEqual(aliceAnswers?.code, .permissionDenied)
        let answered = try await fixture.flow.answerQuestion(answer, actor: try fixture.actor("admin7"), idempotencyKey: nil)
        XCTAssertEqual(answered.answeredBy, "admin7")
        let lastSMS = try await fixture.sms().last
        XCTAssertEqual(lastSMS?.template, "notice_answered")
        XCTAssertEqual(lastSMS?.accountId, "bob")

        var list = Xsc_Proposals_V1_ListQuestionsRequest()
        list.noticeId = notice.id
        let questions = try await fixture.flow.listQuestions(list, actor: try fixture.actor("alice"))
        XCTAssertEqual(questions.questions.map(\.answer), ["不用，公司统一带。"])

        let after = try await fixture.flow.listNoticeReads(Self.noticeRef(notice.id), actor: try fixture.actor("admin7"))
        XCTAssertEqual(after.unreadAccountIds, ["alice"])
    }

    func testAcknowledgementDeadlineRecordsViolationsForTheMissing() async throws {
        let notice = try await publish(sms: false, acknowledgeBy: fixture.clock.nowMillis() + 60_000)
        let none = try await fixture.sms()
        XCTAssertTrue(none.isEmpty)
        let acknowledged = try await fixture.flow.acknowledgeNotice(Self.noticeRef(notice.id), actor: try fixture.actor("alice"))
        XCTAssertGreaterThan(acknowledged.acknowledgedAtMs, 0)
        let tasks = try await fixture.flow.myTasks(Xsc_Proposals_V1_ListMyTasksRequest(), actor: try fixture.actor("bob"))
        XCTAssertEqual(tasks.tasks.map(\.kind), [.noticeAcknowledgement, .unreadNotice])
        try await fixture.advance(seconds: 61)
        let events = try await fixture.violationEvents()
        XCTAssertEqual(events.map(\.rule), ["notice_acknowledgement"])
        XCTAssertEqual(events.map(\.personAccountId), ["bob"])
        XCTAssertEqual(events.first?.reference, notice.id)
    }

    func testWhatWaitsForMePagesThroughEveryDuty() async throws {
        for _ in 0..<3 { _ = try await fixture.submitted() }
        _ = try await publish(sms: false)
        var request = Xsc_Proposals_V1_ListMyTasksRequest()
        var page = Xsc_Common_V1_PageRequest()
        page.pageSize = 2
        request.page = page
        var kinds: [Xsc_Proposals_V1_TaskKind] = []
        var pages = 0
        repeat {
            let response = try await fixture.flow.myTasks(request, actor: try fixture.actor("admin7"))
            kinds += response.tasks.map(\.kind)
            page.cursor = response.page?.nextCursor ?? ""
            request.page = page
            pages += 1
        } while !page.cursor.isEmpty && pages < 10
        XCTAssertEqual(kinds, [.decision, .decision, .decision], "the author has read its own notice")
        XCTAssertEqual(pages, 2)
        let alice = try await fixture.flow.myTasks(Xsc_Proposals_V1_ListMyTasksRequest(), actor: try fixture.actor("alice"))
        XCTAssertEqual(alice.tasks.map(\.kind), [.unreadNotice])
    }

    /// Every id-taking method, for a team outsider (t8) and an ancestor (the district lead,
    /// never asked): the very same NOT_FOUND as a made-up id.
    func testOtherTeamsAndAncestorsGetTheNotFoundOfAMissingID() async throws {
        let proposal = try await fixture.decided(try await fixture.submitted().id, by: "admin7")
        let notice = try await publish(sms: false)
        var ask = Xsc_Proposals_V1_AskQuestionRequest()
        ask.noticeId = notice.id
        ask.text = "问题"
        let question = try await fixture.flow.askQuestion(ask, actor: try fixture.actor("bob"), idempotencyKey: nil)

        let flow = fixture.flow
        let calls: [(String, (String, VerifiedActor) async throws -> Void)] = [
            ("GetProposal", { id, actor in _ = try await flow.get(ProposalsFixture.ref(id), actor: actor) }),
            ("SubmitProposal", { id, actor in _ = try await flow.submit(ProposalsFixture.ref(id), actor: actor, idempotencyKey: nil) }),
            ("UpdateProposal", { id, actor in
                var request = Xsc_Proposals_V1_UpdateProposalRequest()
                request.proposalId = id
                request.draft = self.fixture.draft(participants: ["eve"])
                _ = try await flow.update(request, actor: actor)
            }),
            ("DecideProposal", { id, actor in
                var request = Xsc_Proposals_V1_DecideRequest()
                request.proposalId = id
                request.decision = .execute
                request.comment = "ok"
                _ = try await flow.decide(request, actor: actor, idempotencyKey: nil)
            }),
            ("ReportCheckpoint", { id, actor in
                var request = Xsc_Proposals_V1_ReportCheckpointRequest()
                request.proposalId = id
                request.checkpointId = proposal.checkpoints[0].id
                request.result = "r"
                _ = try await flow.reportCheckpoint(request, actor: actor, idempotencyKey: nil)
            }),
            ("SubmitAnalysis", { id, actor in
                var request = Xsc_Proposals_V1_SubmitAnalysisRequest()
                request.proposalId = id
                request.analysis = "a"
                _ = try await flow.submitAnalysis(request, actor: actor, idempotencyKey: nil)
            }),
            ("SubmitEvaluation", { id, actor in
                var request = Xsc_Proposals_V1_SubmitEvaluationRequest()
                request.proposalId = id
                request.score = 3
                request.text = "t"
                _ = try await flow.submitEvaluation(request, actor: actor, idempotencyKey: nil)
            }),
        ]
        let noticeCalls: [(String, (String, VerifiedActor) async throws -> Void)] = [
            ("GetNotice", { id, actor in _ = try await flow.getNotice(Self.noticeRef(id), actor: actor) }),
            ("AcknowledgeNotice", { id, actor in _ = try await flow.acknowledgeNotice(Self.noticeRef(id), actor: actor) }),
            ("ListNoticeReads", { id, actor in _ = try await flow.listNoticeReads(Self.noticeRef(id), actor: actor) }),
            ("AskQuestion", { id, actor in
                var request = Xsc_Proposals_V1_AskQuestionRequest()
                request.noticeId = id
                request.text = "q"
                _ = try await flow.askQuestion(request, actor: actor, idempotencyKey: nil)
            }),
            ("ListQuestions", { id, actor in
                var request = Xsc_Proposals_V1_ListQuestionsRequest()
                request.noticeId = id
                _ = try await flow.listQuestions(request, actor: actor)
            }),
        ]
        let answerCall: (String, VerifiedActor) async throws -> Void = { id, actor in
            var request = Xsc_Proposals_V1_AnswerQuestionRequest()
            request.questionId = id
            request.answer = "a"
            _ = try await flow.answerQuestion(request, actor: actor, idempotencyKey: nil)
        }
        let targets = [(proposal.id, calls), (notice.id, noticeCalls), (question.id, [("AnswerQuestion", answerCall)])]
        for outsider in ["eve", "dlead", "olead"] {
            let actor = try fixture.actor(outsider)
            for (realID, methods) in targets {
                let missingID = realID.replacingOccurrences(of: "-", with: "0")
                for (name, call) in methods {
                    let real = await rpcFailure { try await call(realID, actor) }
                    let missing = await rpcFailure { try await call(missingID, actor) }
                    XCTAssertEqual(real?.code, .notFound, "\(outsider) \(name)")
                    XCTAssertEqual(real?.message.replacingOccurrences(of: realID, with: "ID"),
                                   missing?.message.replacingOccurrences(of: missingID, with: "ID"), "\(outsider) \(name)")
                    // The details carry the same status message: equal once the ids are swapped.
                    XCTAssertEqual(real?.details.map { String(decoding: $0, as: UTF8.self).replacingOccurrences(of: realID, with: "ID") },
                                   missing?.details.map { String(decoding: $0, as: UTF8.self).replacingOccurrences(of: missingID, with: "ID") },
                                   "\(outsider) \(name)")
                }
            }
        }
        // Lists never show another team's rows; ancestors get counts only.
        let eveList = try await flow.list(Xsc_Proposals_V1_ListProposalsRequest(), actor: try fixture.actor("eve"))
        XCTAssertTrue(eveList.proposals.isEmpty)
        let eveNotices = try await flow.listNotices(Xsc_Proposals_V1_ListNoticesRequest(), actor: try fixture.actor("eve"))
        XCTAssertTrue(eveNotices.notices.isEmpty)
        var counts = Xsc_Proposals_V1_TeamCountsRequest()
        let forLead = try await flow.teamCounts(counts, actor: try fixture.actor("dlead"))
        XCTAssertEqual(forLead.teams.map(\.teamPath), [ProposalsFixture.t7])
        XCTAssertEqual(forLead.teams.first?.openProposals, 1)
        XCTAssertEqual(forLead.teams.first?.notices, 1)
        counts.subtree = "/hq/sc"
        let elsewhere = await rpcFailure { _ = try await flow.teamCounts(counts, actor: try self.fixture.actor("dlead")) }
        XCTAssertEqual(elsewhere?.code, .notFound)
    }

    func testTheDirectoryFeedIsForTheSystemAndKeepsTheNewestVersion() async throws {
        let older = try await fixture.directory("alice", role: "salesperson", node: ProposalsFixture.t8, version: 1)
        XCTAssertFalse(older, "an older version changes nothing")
        let newer = try await fixture.directory("carol", role: "salesperson", node: ProposalsFixture.t7, version: 50)
        XCTAssertTrue(newer)
        let notSystem = await rpcFailure {
            _ = try await self.fixture.flow.setDirectoryEntry(Xsc_Common_V1_DirectoryEntry(), actor: try self.fixture.actor("admin7"))
        }
        XCTAssertEqual(notSystem?.code, .permissionDenied)
        // A disabled member cannot be named a participant any more.
        try await fixture.directory("bob", role: "salesperson", node: ProposalsFixture.t7, enabled: false, version: 60)
        let error = await rpcFailure { _ = try await self.fixture.created() }
        XCTAssertEqual(badFields(error), ["draft.participant_account_ids[1]"])
    }
}
