import Messages
@testable import Proposals
import XCTest

/// Draft validation, deadlines, access and the superiors chain: pure rules, table-driven.
final class RulesTests: XCTestCase {
    static let members: Set<String> = ["alice", "bob", "carol"]
    static let start: Int64 = 1_800_000_000_000

    static func draft() -> Xsc_Proposals_V1_ProposalDraft {
        var draft = Xsc_Proposals_V1_ProposalDraft()
        draft.title = "社区品鉴会"
        draft.purpose = "让新小区认识我们的酒"
        draft.content = "周六在小区会所办一场品鉴会"
        draft.resources = "样酒 12 瓶，场地费 500 元"
        draft.participantAccountIds = ["alice", "bob"]
        draft.startAtMs = start
        draft.finishAtMs = start + 7_200_000
        draft.checkpointAtMs = [start + 3_600_000]
        return draft
    }

    func fields(_ draft: Xsc_Proposals_V1_ProposalDraft, now: Int64? = nil) -> [String] {
        DraftValidation.check(DraftValidation.normalised(draft), teamMembers: Self.members, now: now).items.map(\.field)
    }

    func testAValidDraftPasses() {
        XCTAssertEqual(fields(Self.draft()), [])
        XCTAssertEqual(fields(Self.draft(), now: Self.start - 1), [])
    }

    func testEveryMissingFieldIsNamedAtOnce() {
        XCTAssertEqual(fields(Xsc_Proposals_V1_ProposalDraft()), [
            "draft.title", "draft.purpose", "draft.content", "draft.resources", "draft.participant_account_ids",
            "draft.start_at_ms", "draft.finish_at_ms", "draft.checkpoint_at_ms",
        ])
    }

    func testTextIsTrimmedAndJunkRefused() {
        var draft = Self.draft()
        draft.title = "  \u{3000}周会\u{3000} "
        XCTAssertEqual(DraftValidation.normalised(draft).title, "周会")
        draft.title = "   "
        draft.purpose = "bad\u{0007}bell"
        draft.content = String(repeating: "字", count: 5001)
        draft.resources = "\u{FFFD}"
        XCTAssertEqual(fields(draft), ["draft.title", "draft.purpose", "draft.content", "draft.resources"])
    }

    func testParticipantsMustBeDistinctMembersOfTheTeam() {
        var draft = Self.draft()
        draft.participantAccountIds = ["alice", "mallory", "alice", ""]
        XCTAssertEqual(fields(draft), [
            "draft.participant_account_ids[1]", "draft.participant_account_ids[2]", "draft.participant_account_ids[3]",
        ])
        draft.participantAccountIds = []
        XCTAssertEqual(fields(draft), ["draft.participant_account_ids"])
    }

    func testStartBeforeCheckpointsBeforeFinish() {
        var draft = Self.draft()
        draft.finishAtMs = draft.startAtMs
        draft.checkpointAtMs = []
        XCTAssertEqual(fields(draft), ["draft.finish_at_ms", "draft.checkpoint_at_ms"])

        draft = Self.draft()
        draft.checkpointAtMs = [Self.start, Self.start + 7_200_000, Self.start + 60_000, Self.start + 60_000]
        XCTAssertEqual(fields(draft), [
            "draft.checkpoint_at_ms[0]", "draft.checkpoint_at_ms[1]", "draft.checkpoint_at_ms[3]",
        ])
    }

    func testAtSubmissionTimesMustStillBeAhead() {
        let draft = Self.draft()
        XCTAssertEqual(fields(draft, now: Self.start + 3_600_000), ["draft.checkpoint_at_ms[0]"])
        XCTAssertEqual(fields(draft, now: Self.start + 7_200_000), ["draft.finish_at_ms", "draft.checkpoint_at_ms[0]"])
    }

    func testTeamDeadlinesRanges() {
        XCTAssertEqual(TeamDeadlines.defaults.decisionWindow, 1800, "DOMAIN.md: decide within 30 minutes")
        var settings = TeamDeadlines.defaults.message(teamPath: "/hq/cq/t1")
        XCTAssertTrue(TeamDeadlines.problems(settings).isEmpty)
        settings.decisionWindowSeconds = 0
        settings.reportGraceSeconds = -1
        settings.reviewWindowSeconds = 3_000_000
        settings.reminderLeadSeconds = 86_401
        XCTAssertEqual(TeamDeadlines.problems(settings).items.map(\.field), [
            "settings.decision_window_seconds", "settings.report_grace_seconds", "settings.review_window_seconds",
            "settings.reminder_lead_seconds",
        ])
    }

    func testProposalsAreClosedInsideTheTeamExceptForTheSuperiorsAsked() {
        let facts = ProposalAccess.Facts(teamPath: "/hq/cq/o1/d3/t7", proposer: "alice", state: .submitted,
                                         askedDeciders: ["admin-t7"])
        XCTAssertTrue(ProposalAccess.canRead(account: "bob", teamPath: "/hq/cq/o1/d3/t7", facts))
        XCTAssertTrue(ProposalAccess.canRead(account: "admin-t7", teamPath: "/hq/cq/o1/d3", facts))
        XCTAssertFalse(ProposalAccess.canRead(account: "lead-d3", teamPath: "/hq/cq/o1/d3", facts), "an ancestor is not the team")
        XCTAssertFalse(ProposalAccess.canRead(account: "eve", teamPath: "/hq/cq/o1/d3/t8", facts))
        var draft = facts
        draft.state = .draft
        XCTAssertTrue(ProposalAccess.canRead(account: "alice", teamPath: "/hq/cq/o1/d3/t7", draft))
        XCTAssertFalse(ProposalAccess.canRead(account: "bob", teamPath: "/hq/cq/o1/d3/t7", draft), "a draft is its proposer's")
    }

    func testSettingsAreForTheTeamAdminOrALeaderAbove() {
        XCTAssertTrue(SettingsAccess.canConfigure(team: "/hq/cq/t1", actorRole: "team_admin", actorNode: "/hq/cq/t1"))
        XCTAssertFalse(SettingsAccess.canConfigure(team: "/hq/cq/t2", actorRole: "team_admin", actorNode: "/hq/cq/t1"))
        XCTAssertTrue(SettingsAccess.canConfigure(team: "/hq/cq/t1", actorRole: "hq_admin", actorNode: "/hq"))
        XCTAssertFalse(SettingsAccess.canConfigure(team: "/hq/cq2/t1", actorRole: "regional_manager", actorNode: "/hq/cq"))
        XCTAssertFalse(SettingsAccess.canConfigure(team: "/hq/cq/t1", actorRole: "salesperson", actorNode: "/hq/cq/t1"))
    }

    func testCursorsRoundTripAndJunkIsRefused() {
        let key = "0001800000000000/abc-def"
        XCTAssertEqual(PageCursor.decode(PageCursor.encode(key)).key, key)
        XCTAssertTrue(PageCursor.decode("").valid)
        XCTAssertFalse(PageCursor.decode("!!!not base64").valid)
        XCTAssertEqual(PageCursor.size(0), 20)
        XCTAssertEqual(PageCursor.size(1000), 100)
    }
}
