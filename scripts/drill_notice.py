"""Part 3 of the drill (the source's 团队内的通知的发布与疑问沟通): the team admin publishes a
notice inside the drill team (members told by SMS too), a salesperson opens it and asks a
question, the team admin answers, and the read list shows who has opened it. Closed inside
the team (DOMAIN.md "Information security")."""
from __future__ import annotations

from drill_org import SALESPERSON, TEAM_ADMIN, TEAM_PATH, session_of
from drill_support import clock, until_accepted

CALL_S = 30.0


def publish_and_answer(drill) -> None:
    pb, stub = drill.pb.proposals, drill.pb.proposals_grpc.ProposalServiceStub(drill.channel)
    admin, _ = session_of(drill, TEAM_ADMIN)
    drill.step(f"part 3: the team admin {TEAM_ADMIN.name} publishes a notice inside {TEAM_PATH} (and by SMS)")
    notice = stub.PublishNotice(pb.PublishNoticeRequest(
        title=f"本周品鉴会安排 ({drill.run_id})", body="周六下午三点在解放碑门店举办品鉴会, 每位业务员邀请两位客户。\n请提前报名。",
        sms=True), metadata=[*admin, ("idempotency-key", f"drill-notice-{drill.run_id}")], timeout=CALL_S)
    drill.notice_id = notice.id
    drill.say(f"notice {notice.id} \"{notice.title}\" published {clock(notice.published_at_ms)} to {notice.team_path}")

    member, _ = session_of(drill, SALESPERSON)
    drill.step(f"the salesperson {SALESPERSON.name} opens the notice and asks a question under it")
    # The proposals service learns a new member from the gateway's feed: until then it does
    # not know the member is in the team, and the notice is NOT_FOUND for them.
    opened = until_accepted(lambda: stub.GetNotice(pb.NoticeRequest(notice_id=notice.id), metadata=member, timeout=CALL_S),
                            drill.args.timeout)
    drill.say(f"opened at {clock(opened.read_at_ms)}")
    question = stub.AskQuestion(pb.AskQuestionRequest(notice_id=notice.id, text="客户可以带家属一起来吗? 需要提前几天报名?"),
                                metadata=[*member, ("idempotency-key", f"drill-question-{drill.run_id}")], timeout=CALL_S)
    drill.say(f"question {question.id}: \"{question.text}\"")

    drill.step("the team admin answers the question; the asker is told by SMS")
    answered = stub.AnswerQuestion(pb.AnswerQuestionRequest(question_id=question.id, answer="可以带家属, 请在周四前报名。"),
                                   metadata=[*admin, ("idempotency-key", f"drill-answer-{drill.run_id}")], timeout=CALL_S)
    drill.say(f"answered at {clock(answered.answered_at_ms)}: \"{answered.answer}\"")
    seen = stub.ListQuestions(pb.ListQuestionsRequest(notice_id=notice.id), metadata=member, timeout=CALL_S).questions
    if not any(item.id == question.id and item.answer == answered.answer for item in seen):
        raise drill.failure(f"the salesperson does not see the answer to question {question.id}")
    drill.say("the salesperson sees the answer under the notice")

    drill.step("the team admin checks who has read the notice")
    reads = stub.ListNoticeReads(pb.NoticeRequest(notice_id=notice.id), metadata=admin, timeout=CALL_S)
    readers = [drill.people.get(read.account_id, read.account_id) for read in reads.read]
    unread = [drill.people.get(account, account) for account in reads.unread_account_ids]
    drill.say(f"read by {', '.join(readers) or 'nobody'}; not yet opened by {', '.join(unread) or 'nobody'}")
    if drill.accounts_by_phone[SALESPERSON.phone].id not in [read.account_id for read in reads.read]:
        raise drill.failure(f"the read list of notice {notice.id} does not name the salesperson")
