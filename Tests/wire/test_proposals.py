"""The proposals service end to end through the real gateway (grpcio), with the decision
window and the other deadlines set to seconds: decided in time, terminated with a comment,
escalated with a violation and a late decision, checkpoint reported on time and missed,
analysis and evaluations with violations for the missing ones, the drill's part 3, the
cross-team sweep and bad input per field. Settlements is not running: its violations wait in
the proposals outbox, which is where the tests read them."""
from __future__ import annotations

import time
import uuid

import grpc
import pytest

from cluster_support import Cluster, eventually
from proposals_world import (ADMIN7, DISTRICT_LEAD, EVE, HUANG, OFFICE_LEAD, OTHER_TEAM, QIAN, T, TEAM, ZHAO,
                             World)


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    with Cluster.started(tmp_path_factory.mktemp("proposals"),
                         services=("gateway", "orders", "notifications", "proposals")) as running:
        yield running
        running.assert_all_running()


@pytest.fixture(scope="module")
def world(cluster):
    return World(cluster)


def failure(call) -> grpc.RpcError:
    with pytest.raises(grpc.RpcError) as caught:
        call()
    return caught.value


def test_submission_tells_the_superior_at_once_who_decides_in_time(world):
    world.settings(decision=600)
    p = world.pb.proposals
    proposal = world.submitted()
    assert proposal.state == p.PROPOSAL_STATE_SUBMITTED
    assert list(proposal.decider_account_ids) == [world.id(ADMIN7)]
    eventually("the superior's SMS", lambda: world.sms_to(ADMIN7, "社区品鉴会"))
    notifications = world.pb.notifications_grpc.NotificationServiceStub(world.cluster.gateway_channel())
    inbox = notifications.ListInbox(world.pb.notifications.ListInboxRequest(), metadata=world.as_(ADMIN7), timeout=T)
    assert any(m.template == "proposal_submitted_due" and "社区品鉴会" in m.text for m in inbox.messages), \
        "the inbox mirrors the SMS"

    opened = world.get(proposal.id, ADMIN7)
    assert opened.first_opened_by == world.id(ADMIN7) and opened.first_opened_at_ms > 0
    tasks = world.stub.ListMyTasks(p.ListMyTasksRequest(), metadata=world.as_(ADMIN7), timeout=T)
    assert (p.TASK_KIND_DECISION, proposal.id) in [(t.kind, t.proposal_id) for t in tasks.tasks]

    decided = world.decide(proposal.id, ADMIN7, comment="可以，注意安全")
    assert decided.state == p.PROPOSAL_STATE_EXECUTING and not decided.decision_late
    for phone in (ZHAO, QIAN):
        eventually(f"{phone} hears the decision", lambda phone=phone: world.sms_to(phone, "可以，注意安全"))
    assert world.violations(proposal.id) == []

    again = failure(lambda: world.decide(proposal.id, ADMIN7))
    assert again.code() == grpc.StatusCode.FAILED_PRECONDITION


def test_terminated_with_a_comment(world):
    world.settings(decision=600)
    p = world.pb.proposals
    proposal = world.submitted()
    decided = world.decide(proposal.id, ADMIN7, execute=False, comment="预算不够，下季度再议")
    assert decided.state == p.PROPOSAL_STATE_TERMINATED and decided.decision == p.DECISION_TERMINATE
    eventually("the proposer hears the termination", lambda: world.sms_to(ZHAO, "预算不够，下季度再议"))
    edit = failure(lambda: world.stub.UpdateProposal(p.UpdateProposalRequest(proposal_id=proposal.id, draft=world.draft()),
                                                     metadata=world.as_(ZHAO), timeout=T))
    assert edit.code() == grpc.StatusCode.FAILED_PRECONDITION


def test_no_decision_escalates_records_a_violation_and_a_late_decision_still_counts(world):
    world.settings(decision=2)
    p = world.pb.proposals
    proposal = world.submitted()
    hidden = failure(lambda: world.get(proposal.id, DISTRICT_LEAD))
    assert hidden.code() == grpc.StatusCode.NOT_FOUND, "not asked yet: closed to the district lead"

    eventually("the violation against the team admin",
               lambda: ("proposal_decision", world.id(ADMIN7)) in world.violations(proposal.id))
    eventually("the district lead is asked", lambda: world.sms_to(DISTRICT_LEAD, "社区品鉴会"))
    seen = world.get(proposal.id, DISTRICT_LEAD)
    assert seen.escalations >= 1 and world.id(DISTRICT_LEAD) in seen.decider_account_ids

    world.settings(decision=600)  # the next window (if any) must not run out while we decide
    decided = world.decide(proposal.id, ADMIN7, comment="迟到的批准")
    assert decided.state == p.PROPOSAL_STATE_EXECUTING
    assert decided.decision_late, "a decision after the first window is marked late"
    assert decided.decided_by == world.id(ADMIN7)
    people = {person for rule, person in world.violations(proposal.id) if rule == "proposal_decision"}
    assert world.id(ADMIN7) in people


def test_checkpoint_on_time_and_missed_then_analysis_evaluations_and_the_missing_ones(world):
    # Generous seconds: each step must land inside its window on a loaded machine too.
    world.settings(decision=600, grace=15, review=30, reminder=1)
    p = world.pb.proposals
    proposal = world.submitted(world.draft(start_s=1, checkpoint_s=5, finish_s=22))
    decided = world.decide(proposal.id, ADMIN7)
    checkpoint = decided.checkpoints[0]
    assert checkpoint.due_at_ms == checkpoint.at_ms + 15_000

    reported = world.stub.ReportCheckpoint(p.ReportCheckpointRequest(
        proposal_id=proposal.id, checkpoint_id=checkpoint.id, result="已订好场地，发出 40 张邀请"),
        metadata=world.as_(ZHAO, "r-" + uuid.uuid4().hex), timeout=T)
    assert [r.account_id for r in reported.checkpoints[0].reports] == [world.id(ZHAO)]
    assert not reported.checkpoints[0].reports[0].late
    not_participant = failure(lambda: world.stub.ReportCheckpoint(p.ReportCheckpointRequest(
        proposal_id=proposal.id, checkpoint_id=checkpoint.id, result="x"), metadata=world.as_(HUANG), timeout=T))
    assert not_participant.code() == grpc.StatusCode.PERMISSION_DENIED

    eventually("qian is reminded before the checkpoint", lambda: world.sms_to(QIAN, "检查点即将到期"))
    eventually("qian's missed checkpoint is a violation",
               lambda: ("proposal_checkpoint", world.id(QIAN)) in world.violations(proposal.id))
    assert ("proposal_checkpoint", world.id(ZHAO)) not in world.violations(proposal.id)

    eventually("the finish opens the review", lambda: world.get(proposal.id).state == p.PROPOSAL_STATE_REVIEWING)
    analysed = world.stub.SubmitAnalysis(p.SubmitAnalysisRequest(proposal_id=proposal.id, analysis="到场 40 人，成交 12 箱"),
                                         metadata=world.as_(ZHAO), timeout=T)
    assert analysed.analysis == "到场 40 人，成交 12 箱"
    evaluated = world.stub.SubmitEvaluation(p.SubmitEvaluationRequest(proposal_id=proposal.id, score=4, text="宣传可以更早"),
                                            metadata=world.as_(QIAN), timeout=T)
    assert [e.account_id for e in evaluated.evaluations] == [world.id(QIAN)]
    eventually("the proposer was asked for the analysis by SMS", lambda: world.sms_to(ZHAO, "效果分析"))

    eventually("the review deadline closes it", lambda: world.get(proposal.id).state == p.PROPOSAL_STATE_CLOSED)
    violations = world.violations(proposal.id)
    assert ("proposal_evaluation", world.id(ZHAO)) in violations, "zhao evaluated nothing"
    assert ("proposal_evaluation", world.id(QIAN)) not in violations
    assert not [v for v in violations if v[0] == "proposal_analysis"]
    closed = world.get(proposal.id)
    assert {(v.rule, v.person_account_id) for v in closed.violations} == set(violations)


def test_drill_part_three_a_notice_with_sms_a_question_answered_and_the_reads(world):
    p = world.pb.proposals
    notice = world.stub.PublishNotice(p.PublishNoticeRequest(title="周六团购活动安排", body="周六上午九点在小区门口集合。", sms=True),
                                      metadata=world.as_(ADMIN7, "n-" + uuid.uuid4().hex), timeout=T)
    for phone in (ZHAO, QIAN, HUANG):
        eventually(f"{phone} gets the notice by SMS", lambda phone=phone: world.sms_to(phone, "周六团购活动安排"))
    reads = world.stub.ListNoticeReads(p.NoticeRequest(notice_id=notice.id), metadata=world.as_(ADMIN7), timeout=T)
    assert [r.account_id for r in reads.read] == [world.id(ADMIN7)]
    assert set(reads.unread_account_ids) == {world.id(ZHAO), world.id(QIAN), world.id(HUANG)}

    opened = world.stub.GetNotice(p.NoticeRequest(notice_id=notice.id), metadata=world.as_(ZHAO), timeout=T)
    assert opened.read_at_ms > 0
    question = world.stub.AskQuestion(p.AskQuestionRequest(notice_id=notice.id, text="需要带样酒吗？"),
                                      metadata=world.as_(QIAN, "q-" + uuid.uuid4().hex), timeout=T)
    answered = world.stub.AnswerQuestion(p.AnswerQuestionRequest(question_id=question.id, answer="不用，公司统一带。"),
                                         metadata=world.as_(ADMIN7, "a-" + uuid.uuid4().hex), timeout=T)
    assert answered.answered_by == world.id(ADMIN7)
    eventually("the asker hears the answer", lambda: world.sms_to(QIAN, "不用，公司统一带。"))
    listed = world.stub.ListQuestions(p.ListQuestionsRequest(notice_id=notice.id), metadata=world.as_(HUANG), timeout=T)
    assert [(q.text, q.answer) for q in listed.questions] == [("需要带样酒吗？", "不用，公司统一带。")]

    after = world.stub.ListNoticeReads(p.NoticeRequest(notice_id=notice.id), metadata=world.as_(ADMIN7), timeout=T)
    assert list(after.unread_account_ids) == [world.id(HUANG)]


def test_a_notice_acknowledgement_deadline_records_the_missing(world):
    p = world.pb.proposals
    due = int(time.time() * 1000) + 10_000  # room for publish + acknowledge on a loaded machine
    notice = world.stub.PublishNotice(p.PublishNoticeRequest(title="安全须知", body="请确认已阅读", acknowledge_by_ms=due),
                                      metadata=world.as_(ADMIN7), timeout=T)
    world.stub.AcknowledgeNotice(p.NoticeRequest(notice_id=notice.id), metadata=world.as_(ZHAO), timeout=T)

    def missing():
        rows = world.cluster.query("proposals", "SELECT person FROM violations WHERE rule = 'notice_acknowledgement' "
                                                "AND reference = :'p1'", notice.id)
        return {row[0] for row in rows}
    eventually("violations for the members who did not acknowledge",
               lambda: missing() == {world.id(QIAN), world.id(HUANG)})


def id_calls(world, checkpoint_id: str):
    """Every id-taking method, as (name, kind, call(id, metadata))."""
    p = world.pb.proposals
    s = world.stub
    return [
        ("GetProposal", "proposal", lambda i, m: s.GetProposal(p.ProposalRequest(proposal_id=i), metadata=m, timeout=T)),
        ("SubmitProposal", "proposal", lambda i, m: s.SubmitProposal(p.ProposalRequest(proposal_id=i), metadata=m, timeout=T)),
        ("UpdateProposal", "proposal", lambda i, m: s.UpdateProposal(
            p.UpdateProposalRequest(proposal_id=i, draft=world.draft(participants=[world.id(EVE)])), metadata=m, timeout=T)),
        ("DecideProposal", "proposal", lambda i, m: s.DecideProposal(
            p.DecideRequest(proposal_id=i, decision=p.DECISION_EXECUTE, comment="ok"), metadata=m, timeout=T)),
        ("ReportCheckpoint", "proposal", lambda i, m: s.ReportCheckpoint(
            p.ReportCheckpointRequest(proposal_id=i, checkpoint_id=checkpoint_id, result="r"), metadata=m, timeout=T)),
        ("SubmitAnalysis", "proposal", lambda i, m: s.SubmitAnalysis(
            p.SubmitAnalysisRequest(proposal_id=i, analysis="a"), metadata=m, timeout=T)),
        ("SubmitEvaluation", "proposal", lambda i, m: s.SubmitEvaluation(
            p.SubmitEvaluationRequest(proposal_id=i, score=3, text="t"), metadata=m, timeout=T)),
        ("GetNotice", "notice", lambda i, m: s.GetNotice(p.NoticeRequest(notice_id=i), metadata=m, timeout=T)),
        ("AcknowledgeNotice", "notice", lambda i, m: s.AcknowledgeNotice(p.NoticeRequest(notice_id=i), metadata=m, timeout=T)),
        ("ListNoticeReads", "notice", lambda i, m: s.ListNoticeReads(p.NoticeRequest(notice_id=i), metadata=m, timeout=T)),
        ("AskQuestion", "notice", lambda i, m: s.AskQuestion(p.AskQuestionRequest(notice_id=i, text="q"), metadata=m, timeout=T)),
        ("ListQuestions", "notice", lambda i, m: s.ListQuestions(p.ListQuestionsRequest(notice_id=i), metadata=m, timeout=T)),
        ("AnswerQuestion", "question", lambda i, m: s.AnswerQuestion(
            p.AnswerQuestionRequest(question_id=i, answer="a"), metadata=m, timeout=T)),
    ]


def test_cross_team_sweep_every_id_taking_method_answers_not_found_like_a_missing_id(world):
    world.settings(decision=600)
    p = world.pb.proposals
    proposal = world.decide(world.submitted().id, ADMIN7)
    draft = world.stub.CreateProposal(p.CreateProposalRequest(draft=world.draft()), metadata=world.as_(ZHAO), timeout=T)
    notice = world.stub.PublishNotice(p.PublishNoticeRequest(title="内部通知", body="仅限本组"), metadata=world.as_(ADMIN7), timeout=T)
    question = world.stub.AskQuestion(p.AskQuestionRequest(notice_id=notice.id, text="问"), metadata=world.as_(ZHAO), timeout=T)
    real = {"proposal": [proposal.id, draft.id], "notice": [notice.id], "question": [question.id]}
    # The other team, ancestors above it (never asked to decide these), and HQ.
    for phone in (EVE, DISTRICT_LEAD, OFFICE_LEAD):
        for name, kind, call in id_calls(world, proposal.checkpoints[0].id):
            for real_id in real[kind]:
                missing_id = str(uuid.uuid4())
                got = failure(lambda: call(real_id, world.as_(phone)))
                expected = failure(lambda: call(missing_id, world.as_(phone)))
                assert got.code() == grpc.StatusCode.NOT_FOUND, (phone, name, got)
                assert got.details().replace(real_id, "ID") == expected.details().replace(missing_id, "ID"), (phone, name)
                assert [type(d).__name__ + str(d).replace(real_id, "ID") for d in world.pb.error_details(got)] == \
                    [type(d).__name__ + str(d).replace(missing_id, "ID") for d in world.pb.error_details(expected)]
    hq = world.cluster.admin()
    got = failure(lambda: world.stub.GetProposal(p.ProposalRequest(proposal_id=proposal.id), metadata=hq, timeout=T))
    assert got.code() == grpc.StatusCode.NOT_FOUND, "HQ admin is not an exception"
    eve_list = world.stub.ListProposals(p.ListProposalsRequest(), metadata=world.as_(EVE), timeout=T)
    assert not eve_list.proposals
    counts = world.stub.TeamCounts(p.TeamCountsRequest(subtree="/hq/cq/cq-o1"), metadata=world.as_(OFFICE_LEAD), timeout=T)
    t7 = [c for c in counts.teams if c.team_path == TEAM]
    assert t7 and t7[0].open_proposals >= 1, "ancestors get aggregated counts"
    assert all(c.team_path in (TEAM, OTHER_TEAM) for c in counts.teams)


def test_every_field_with_bad_input(world):
    p = world.pb.proposals
    s = world.stub
    MISSING = str(uuid.uuid4())  # well-formed, so the other fields are what is judged
    empty = failure(lambda: s.CreateProposal(p.CreateProposalRequest(), metadata=world.as_(ZHAO), timeout=T))
    assert world.bad_fields(empty) == ["draft.title", "draft.purpose", "draft.content", "draft.resources",
                                       "draft.participant_account_ids", "draft.start_at_ms", "draft.finish_at_ms",
                                       "draft.checkpoint_at_ms"]
    draft = world.draft(participants=[world.id(ZHAO), world.id(EVE), world.id(ZHAO)])
    draft.title = "坏\x07标题"
    draft.purpose = "\ufffd"
    draft.content = "字" * 5001
    draft.resources = "   "
    draft.finish_at_ms = draft.start_at_ms - 1
    draft.checkpoint_at_ms[:] = [draft.start_at_ms]
    bad = failure(lambda: s.CreateProposal(p.CreateProposalRequest(draft=draft), metadata=world.as_(ZHAO), timeout=T))
    assert world.bad_fields(bad) == ["draft.title", "draft.purpose", "draft.content", "draft.resources",
                                     "draft.participant_account_ids[1]", "draft.participant_account_ids[2]",
                                     "draft.finish_at_ms", "draft.checkpoint_at_ms[0]"]
    decide = failure(lambda: s.DecideProposal(p.DecideRequest(proposal_id=MISSING), metadata=world.as_(ADMIN7), timeout=T))
    assert world.bad_fields(decide) == ["decision", "comment"]
    # A malformed id is refused on its own, before anything is looked up (LookupField).
    malformed = failure(lambda: s.DecideProposal(p.DecideRequest(proposal_id="x' OR '1'='1"), metadata=world.as_(ADMIN7), timeout=T))
    assert world.bad_fields(malformed) == ["proposal_id"]
    report = failure(lambda: s.ReportCheckpoint(p.ReportCheckpointRequest(proposal_id=MISSING), metadata=world.as_(ZHAO), timeout=T))
    assert world.bad_fields(report) == ["checkpoint_id", "result"]
    analysis = failure(lambda: s.SubmitAnalysis(p.SubmitAnalysisRequest(proposal_id=MISSING), metadata=world.as_(ZHAO), timeout=T))
    assert world.bad_fields(analysis) == ["analysis"]
    evaluation = failure(lambda: s.SubmitEvaluation(p.SubmitEvaluationRequest(proposal_id=MISSING, score=0),
                                                    metadata=world.as_(ZHAO), timeout=T))
    assert world.bad_fields(evaluation) == ["score", "text"]
    notice = failure(lambda: s.PublishNotice(p.PublishNoticeRequest(acknowledge_by_ms=1), metadata=world.as_(ADMIN7), timeout=T))
    assert world.bad_fields(notice) == ["title", "body", "acknowledge_by_ms"]
    ask = failure(lambda: s.AskQuestion(p.AskQuestionRequest(notice_id=MISSING), metadata=world.as_(ZHAO), timeout=T))
    assert world.bad_fields(ask) == ["text"]
    answer = failure(lambda: s.AnswerQuestion(p.AnswerQuestionRequest(question_id=MISSING), metadata=world.as_(ADMIN7), timeout=T))
    assert world.bad_fields(answer) == ["answer"]
    settings = failure(lambda: s.SetTeamSettings(p.SetTeamSettingsRequest(settings=p.TeamSettings(reminder_lead_seconds=-1)),
                                                 metadata=world.as_(ADMIN7), timeout=T))
    assert world.bad_fields(settings) == ["settings.decision_window_seconds", "settings.report_grace_seconds",
                                          "settings.review_window_seconds", "settings.reminder_lead_seconds",
                                          "settings.team_path"]
    cursor = failure(lambda: s.ListProposals(p.ListProposalsRequest(page=world.pb.common.PageRequest(cursor="!!")),
                                             metadata=world.as_(ZHAO), timeout=T))
    assert world.bad_fields(cursor) == ["page.cursor"]


def test_create_and_submit_are_idempotent(world):
    world.settings(decision=600)
    p = world.pb.proposals
    key = "create-" + uuid.uuid4().hex
    title = "idem-" + uuid.uuid4().hex[:8]
    draft = world.draft(title=title)
    first = world.stub.CreateProposal(p.CreateProposalRequest(draft=draft), metadata=world.as_(ZHAO, key), timeout=T)
    again = world.stub.CreateProposal(p.CreateProposalRequest(draft=draft), metadata=world.as_(ZHAO, key), timeout=T)
    assert again.id == first.id
    other = failure(lambda: world.stub.CreateProposal(p.CreateProposalRequest(draft=world.draft(title="别的")),
                                                      metadata=world.as_(ZHAO, key), timeout=T))
    assert other.code() == grpc.StatusCode.FAILED_PRECONDITION
    submit_key = "submit-" + uuid.uuid4().hex
    submitted = world.stub.SubmitProposal(p.ProposalRequest(proposal_id=first.id), metadata=world.as_(ZHAO, submit_key), timeout=T)
    replay = world.stub.SubmitProposal(p.ProposalRequest(proposal_id=first.id), metadata=world.as_(ZHAO, submit_key), timeout=T)
    assert replay.submitted_at_ms == submitted.submitted_at_ms
    asked = world.cluster.query("proposals", """
        SELECT count(*) FROM xsc_outbox WHERE destination = 'notifications' AND position(convert_to(:'p1', 'UTF8') in payload) > 0
        """, title)
    assert asked == [["1"]], "one submission, one SMS to the superior"
