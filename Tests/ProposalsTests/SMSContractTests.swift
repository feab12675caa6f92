import Messages
@testable import Notifications
@testable import Proposals
import RPC
import XCTest

/// Every SMS the proposal area queues must be one notifications accepts (its own validation
/// and template rendering): a refused request would be dead-lettered, and the person never told.
final class SMSContractTests: XCTestCase {
    func testEverySMSOfAWholeProposalAndANoticeIsAcceptedByNotifications() async throws {
        let fixture = try await ProposalsFixture.make(self)
        defer { fixture.close() }
        var settings = TeamDeadlines()
        settings.decisionWindow = 5
        settings.reportGrace = 60
        settings.reviewWindow = 600
        settings.reminderLead = 120
        var set = Xsc_Proposals_V1_SetTeamSettingsRequest()
        set.settings = settings.message(teamPath: ProposalsFixture.t7)
        _ = try await fixture.flow.setTeamSettings(set, actor: try fixture.actor("admin7"))

        let proposal = try await fixture.submitted()
        try await fixture.advance(seconds: 6)                       // escalated to the district lead
        _ = try await fixture.decided(proposal.id, by: "dlead")     // proposer and participants told
        try await fixture.advance(seconds: 3 * 3600)                 // reminder, checkpoint, finish, review
        var notice = Xsc_Proposals_V1_PublishNoticeRequest()
        notice.title = "周会"
        notice.body = "周一九点"
        notice.sms = true
        let published = try await fixture.flow.publishNotice(notice, actor: try fixture.actor("admin7"), idempotencyKey: nil)
        var ask = Xsc_Proposals_V1_AskQuestionRequest()
        ask.noticeId = published.id
        ask.text = "在哪里？"
        let question = try await fixture.flow.askQuestion(ask, actor: try fixture.actor("bob"), idempotencyKey: nil)
        var answer = Xsc_Proposals_V1_AnswerQuestionRequest()
        answer.questionId = question.id
        answer.answer = "会议室"
        _ = try await fixture.flow.answerQuestion(answer, actor: try fixture.actor("admin7"), idempotencyKey: nil)

        let sent = try await fixture.sms()
        XCTAssertEqual(Set(sent.map(\.template)), [
            "proposal_submitted_due", "proposal_escalated", "proposal_decision", "proposal_checkpoint_reminder",
            "proposal_review_due", "team_notice", "notice_answered",
        ])
        for request in sent {
            if case .failure(let problems) = ValidatedSend.validate(request, metadataKey: nil) {
                XCTFail("\(request.template): \(problems.items)")
            }
        }
    }
}
