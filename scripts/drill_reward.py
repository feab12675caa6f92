"""Part 1's money (DOMAIN.md "Settlements", the source's 中间人奖励支付): the intermediary's
share code, the region's reward rule, the reward accrued on the visited order, the week's
statement generated on demand, signed by the regional manager and paid by the dealer."""
from __future__ import annotations

import time
import uuid

from drill_org import DEALER, INTERMEDIARY, REGIONAL_MANAGER, session_of
from drill_support import yuan

REGION = "cq"
REWARD_BASIS_POINTS = 500  # 5% of actual sales
CALL_S = 30.0


def idempotent(drill, session, what: str):
    """The session plus a fresh idempotency key (settlements requires one on its writes)."""
    return [*session, ("idempotency-key", f"drill-{what}-{uuid.uuid4().hex}")]


def referral_code(drill) -> str:
    drill.step(f"the intermediary {INTERMEDIARY.name} ({INTERMEDIARY.phone}) logs in and looks up the share code "
               "to give customers")
    session, account = session_of(drill, INTERMEDIARY)
    customers = drill.pb.customers_grpc.CustomerServiceStub(drill.channel)
    code = customers.GetMyReferralCode(drill.pb.customers.GetMyReferralCodeRequest(), metadata=session, timeout=CALL_S)
    if code.account_id != account.id:
        raise drill.failure(f"the share code {code.code} names account {code.account_id}, not the intermediary {account.id}")
    drill.intermediary_id = account.id
    drill.say(f"share code {code.code} (the alliance site puts it on the order as its referrer code)")
    return code.code


def reward_rule(drill) -> None:
    drill.step(f"the regional manager ({REGIONAL_MANAGER.phone}) checks the region's reward rule: "
               f"{REWARD_BASIS_POINTS / 100:g}% of actual sales")
    session, _ = session_of(drill, REGIONAL_MANAGER)
    pb, stub = drill.pb.settlements, drill.pb.settlements_grpc.SettlementServiceStub(drill.channel)
    rules = stub.ListRewardRules(pb.ListRewardRulesRequest(region_id=REGION), metadata=session, timeout=CALL_S).rules
    now_ms = int(time.time() * 1000)
    current = max((rule for rule in rules if rule.effective_from_ms <= now_ms), key=lambda rule: rule.version, default=None)
    if current is not None and current.percent_basis_points == REWARD_BASIS_POINTS and not current.per_unit:
        drill.say(f"rule version {current.version} already pays {REWARD_BASIS_POINTS / 100:g}% (left as it is)")
        return
    rule = stub.SetRewardRule(pb.SetRewardRuleRequest(region_id=REGION, percent_basis_points=REWARD_BASIS_POINTS),
                              metadata=idempotent(drill, session, "rule"), timeout=CALL_S)
    drill.say(f"rule version {rule.version} set: {REWARD_BASIS_POINTS / 100:g}% of actual sales from now on (never retroactive)")


def earning_line(drill, session, order_code: str):
    pb, stub = drill.pb.settlements, drill.pb.settlements_grpc.SettlementServiceStub(drill.channel)
    cursor = ""
    while True:
        page = stub.GetMyEarnings(pb.GetMyEarningsRequest(page=drill.pb.common.PageRequest(cursor=cursor, page_size=100)),
                                  metadata=session, timeout=CALL_S)
        for line in page.lines:
            if line.line.order_code == order_code and line.line.level == 1:
                return page, line
        cursor = page.page.next_cursor
        if not cursor:
            return page, None


def reward_paid(drill, order) -> None:
    pb, stub = drill.pb.settlements, drill.pb.settlements_grpc.SettlementServiceStub(drill.channel)
    earner, _ = session_of(drill, INTERMEDIARY)
    drill.step(f"settlements accrues the intermediary's reward on order {order.code} (actual sales {yuan(order.actual_total_fen)})")
    give_up = time.monotonic() + drill.args.timeout
    while True:
        _, found = earning_line(drill, earner, order.code)
        if found is not None:
            break
        if time.monotonic() > give_up:
            raise drill.failure(f"no reward for order {order.code} on the intermediary's earnings after "
                                f"{drill.args.timeout:.0f} s (is settlements running? its log, var/log/settlements.log)")
        time.sleep(0.3)
    week = found.week
    drill.say(f"reward {yuan(found.line.amount_fen)} on sales {yuan(found.line.sales_fen)}, booked in week {week}, "
              f"dealer {drill.people.get(found.dealer_account_id, found.dealer_account_id)} pays it")

    manager, _ = session_of(drill, REGIONAL_MANAGER)
    drill.step(f"the regional manager generates week {week}'s statements now (before the Monday close)")
    closed = stub.CloseWeek(pb.CloseWeekRequest(week=week, before_end=True), metadata=manager, timeout=120)
    drill.say(f"week {closed.week}: {'closed now' if closed.closed_now else 'closed before'}, "
              f"{closed.statements} statement(s)")
    statement = None
    for candidate in stub.ListStatements(pb.ListStatementsRequest(week=week, payee_account_id=drill.intermediary_id),
                                         metadata=manager, timeout=CALL_S).statements:
        full = stub.GetStatement(pb.GetStatementRequest(statement_id=candidate.statement_id), metadata=manager,
                                 timeout=CALL_S).statement
        if any(line.order_code == order.code for line in full.lines):
            statement = full
    if statement is None:
        raise drill.failure(f"no statement of week {week} for the intermediary lists order {order.code}")
    drill.say(f"statement {statement.statement_id}: {statement.line_count} line(s), total {yuan(statement.total_fen)}, "
              f"payable {yuan(statement.payable_fen)}, {pb.StatementState.Name(statement.state)}")

    drill.step("the regional manager signs the statement; the dealer records the payment")
    signed = stub.SignStatement(pb.SignStatementRequest(statement_id=statement.statement_id), metadata=manager,
                                timeout=CALL_S).statement
    drill.say(f"signed by {drill.people.get(signed.signed_by_account_id, signed.signed_by_account_id)}: "
              f"{pb.StatementState.Name(signed.state)}")
    dealer, _ = session_of(drill, DEALER)
    reference = f"drill-transfer-{drill.run_id}"
    paid = stub.RecordPayment(pb.RecordPaymentRequest(statement_id=statement.statement_id, payment_reference=reference,
                                                      paid_on_ms=int(time.time() * 1000)),
                              metadata=idempotent(drill, dealer, "payment"), timeout=CALL_S).statement
    drill.say(f"paid by the dealer: {yuan(paid.payable_fen)}, reference {paid.payment_reference}: "
              f"{pb.StatementState.Name(paid.state)}")

    drill.step("the intermediary sees the reward paid")
    earnings, line = earning_line(drill, earner, order.code)
    if line is None or line.state != pb.EARNING_STATE_PAID:
        state = pb.EarningState.Name(line.state) if line else "missing"
        raise drill.failure(f"the intermediary's line for order {order.code} is {state}, not paid")
    drill.say(f"order {order.code}: {yuan(line.line.amount_fen)} {pb.EarningState.Name(line.state)}; "
              f"in all pending {yuan(earnings.pending_fen)}, approved {yuan(earnings.approved_fen)}, "
              f"paid {yuan(earnings.paid_fen)}")
