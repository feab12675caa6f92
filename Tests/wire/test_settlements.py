"""Settlements end to end (issue 13): gateway + orders + notifications + settlements as real
processes on a fresh PostgreSQL. People log in through the gateway; orders' events reach
settlements through orders' outbox (the drill's order), or, for weeks that must lie on both
sides of a Sunday midnight, are sent straight to settlements as orders' outbox sends them
(signed as a SYSTEM actor minted with the cluster's secret). Reads, sign-off and payments go
through the gateway.

Rules of region cq in these tests: 3% of actual sales, bj-500 at 5 yuan per bottle, the
recruiter gets 10% of the level-1 reward (rounded half away from zero once per order and level).

Needs DATABASE_URL. Waits are polls under one liveness bound, never timing assertions."""
from __future__ import annotations

import base64
import shutil
import subprocess
import threading
import uuid
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import grpc
import pytest

import orders_world
import wire_support
from cluster_support import ACTOR_SECRET, Cluster, eventually
from orders_world import World

T = 30
SHANGHAI = ZoneInfo("Asia/Shanghai")
EXTRA_PEOPLE = {  # name -> (role, node, display name)
    "cq_manager": ("REGIONAL_MANAGER", "/hq/cq", "重庆片区经理"),
    "ref_a": ("INTERMEDIARY", "/hq/cq/cq-o1/cq-o1-d3/t7", "李小龙"),
    "rec_a": ("INTERMEDIARY", "/hq/cq/cq-o1/cq-o1-d3/t7", "王招募"),
    "ref_b": ("INTERMEDIARY", "/hq/cq/cq-o1/cq-o1-d3/t7", "赵中介"),
    "rec_b": ("INTERMEDIARY", "/hq/cq/cq-o1/cq-o1-d3/t7", "钱推荐"),
}


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    with Cluster.started(tmp_path_factory.mktemp("settlements"),
                         services=("gateway", "orders", "notifications", "settlements")) as running:
        yield running
        running.assert_all_running()


@pytest.fixture(scope="module")
def world(cluster):
    built = World(cluster).build()
    gw = cluster.stubs.gateway
    for name, (role, node, display) in EXTRA_PEOPLE.items():
        phone = "1360000%04d" % (len(built.people) + 1)
        account = built.accounts.CreateAccount(gw.CreateAccountRequest(
            name=display, phone=phone, role=gw.AccountRole.Value("ACCOUNT_ROLE_" + role), node_path=node,
            initial_password=orders_world.PASSWORD), metadata=built.admin, timeout=T)
        built.people[name] = orders_world.Person(name, account.id, phone, cluster.login(phone, orders_world.PASSWORD))
    # The people reach settlements through the gateway's directory feed (names for statements,
    # nodes for who may set a recruiter).
    ids = [built.id(name) for name in EXTRA_PEOPLE]
    eventually("the directory feed reached settlements", lambda: len(cluster.query(
        "settlements", "SELECT 1 FROM xsc_directory WHERE account_id = ANY(string_to_array(:'p1', ','))",
        ",".join(ids))) == len(ids))
    s = settlements(cluster)
    pb = cluster.stubs.settlements
    rule = pb.SetRewardRuleRequest(region_id="cq", percent_basis_points=300, level2_basis_points=1000,
                                   per_unit=[pb.PerUnitRate(sku_id="bj-500", fen_per_unit=500)])
    made = s.SetRewardRule(rule, metadata=built.who("cq_manager") + key(), timeout=T)
    assert made.version == 1
    for intermediary, recruiter in [("ref_a", "rec_a"), ("ref_b", "rec_b")]:
        s.SetRecruiter(pb.SetRecruiterRequest(intermediary_account_id=built.id(intermediary),
                                              recruiter_account_id=built.id(recruiter)),
                       metadata=built.who("cq_manager") + key(), timeout=T)
    # Another region's regional manager does not reach cq's intermediaries.
    with pytest.raises(grpc.RpcError) as hidden:
        s.SetRecruiter(pb.SetRecruiterRequest(intermediary_account_id=built.id("ref_a"), recruiter_account_id=built.id("rec_b")),
                       metadata=built.who("gz_manager") + key(), timeout=T)
    assert hidden.value.code() == grpc.StatusCode.NOT_FOUND
    return built


def key() -> list:
    return [("idempotency-key", uuid.uuid4().hex)]


def settlements(cluster):
    return cluster.stubs.settlements_grpc.SettlementServiceStub(cluster.gateway_channel())


def system_metadata(account: str = "svc-orders") -> list:
    """A SYSTEM actor as orders' outbox relay signs it (xsc mint-actor with the cluster's secret)."""
    minted = wire_support.run_xsc("mint-actor", "--audience", "settlements", "--account", account, "--role", "system", "--plain",
                                  env={"XSC_ACTOR_SECRET": ACTOR_SECRET})
    assert minted.returncode == 0, minted.stderr
    metadata = []
    for line in minted.stdout.splitlines():
        name, value = line.split(": ", 1)
        metadata.append((name, base64.b64decode(value) if name.endswith("-bin") else value))
    return metadata


def week_start(moment: datetime) -> datetime:
    local = moment.astimezone(SHANGHAI)
    monday = (local - timedelta(days=local.weekday())).replace(hour=0, minute=0, second=0, microsecond=0)
    return monday


def ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


def week_name(moment: datetime) -> str:
    year, week, _ = moment.astimezone(SHANGHAI).isocalendar()
    return f"{year}-W{week:02d}"


def close(cluster, world, week: str):
    request = cluster.stubs.settlements.CloseWeekRequest(week=week, before_end=True)
    return settlements(cluster).CloseWeek(request, metadata=world.who("cq_manager"), timeout=T)


def statement_of(cluster, world, week: str, payee: str, reader: str = "cq_manager"):
    pb = cluster.stubs.settlements
    s = settlements(cluster)
    listed = s.ListStatements(pb.ListStatementsRequest(week=week, payee_account_id=world.id(payee)),
                              metadata=world.who(reader), timeout=T).statements
    assert len(listed) == 1, listed
    return s.GetStatement(pb.GetStatementRequest(statement_id=listed[0].statement_id), metadata=world.who(reader),
                          timeout=T).statement


def mismatches(cluster) -> int:
    return int(cluster.query("settlements", """
        SELECT count(*) FROM statements s
        WHERE s.total_fen <> (SELECT coalesce(sum(amount_fen), 0) FROM reward_lines l WHERE l.period_start = s.period_start
                              AND l.dealer_account_id = s.dealer_account_id AND l.payee_account_id = s.payee_account_id)
        """)[0][0])


def earnings(cluster, world, who: str):
    return settlements(cluster).GetMyEarnings(cluster.stubs.settlements.GetMyEarningsRequest(),
                                              metadata=world.who(who), timeout=T)


def test_drill_order_reward_pending_then_approved_then_paid(cluster, world, tmp_path):
    """The drill's part 1 ends with the reward: an alliance order referred by ref_a goes through
    the real orders flow to its return visit; orders' outbox brings the visit to settlements."""
    pb = cluster.stubs.settlements
    s = settlements(cluster)
    order = world.submit("alliance-site", world.order_request("alliance", "cq-o1-d3", external_id="AL-SETTLE-1",
                                                             referrer=world.id("ref_a")))
    world.to_delivered(order.id)
    world.visit(order.id, "cq_lead", {"bj-500": 2, "bj-250": 1})
    # Level 1: 2 x 5 yuan + 3% of 68 yuan = 12.04 yuan; level 2: 10% of that = 1.20 yuan.
    pending = eventually("ref_a's reward is pending", lambda: next(
        (e for e in [earnings(cluster, world, "ref_a")] if any(l.line.order_code == order.code for l in e.lines)), None))
    line = next(l for l in pending.lines if l.line.order_code == order.code)
    assert (line.state, line.line.amount_fen, line.line.level) == (pb.EARNING_STATE_PENDING, 1204, 1)
    assert pending.pending_fen == 1204 and pending.approved_fen == 0 and pending.paid_fen == 0
    recruiter = earnings(cluster, world, "rec_a")
    assert [(l.line.order_code, l.line.amount_fen, l.line.level) for l in recruiter.lines] == [(order.code, 120, 2)]

    week = week_name(datetime.now(SHANGHAI))
    closed = close(cluster, world, week)
    assert closed.closed_now and closed.statements >= 2
    statement = statement_of(cluster, world, week, "ref_a")
    assert statement.payee_name == "李小龙"
    assert [(l.order_code, l.amount_fen) for l in statement.lines] == [(order.code, 1204)]
    assert statement.total_fen == 1204 and statement.state == pb.STATEMENT_STATE_DRAFT
    # Nobody but the region's regional manager signs; other payees do not even see it.
    with pytest.raises(grpc.RpcError) as refused:
        s.SignStatement(pb.SignStatementRequest(statement_id=statement.statement_id), metadata=world.who("cq_lead"), timeout=T)
    assert refused.value.code() == grpc.StatusCode.PERMISSION_DENIED
    with pytest.raises(grpc.RpcError) as hidden:
        s.GetStatement(pb.GetStatementRequest(statement_id=statement.statement_id), metadata=world.who("ref_b"), timeout=T)
    assert hidden.value.code() == grpc.StatusCode.NOT_FOUND

    signed = s.SignStatement(pb.SignStatementRequest(statement_id=statement.statement_id),
                             metadata=world.who("cq_manager"), timeout=T).statement
    assert signed.state == pb.STATEMENT_STATE_SIGNED and signed.signed_by_account_id == world.id("cq_manager")
    approved = earnings(cluster, world, "ref_a")
    assert (approved.pending_fen, approved.approved_fen) == (0, 1204)
    assert next(l for l in approved.lines if l.line.order_code == order.code).state == pb.EARNING_STATE_APPROVED

    due = s.GetDealerDue(pb.GetDealerDueRequest(), metadata=world.who("cq_dealer"), timeout=T)
    assert due.due_fen >= 1204 and any(st.statement_id == statement.statement_id for st in due.statements)
    # A signed statement refuses every change: a second signature, and any write to its rows.
    with pytest.raises(grpc.RpcError) as again:
        s.SignStatement(pb.SignStatementRequest(statement_id=statement.statement_id), metadata=world.who("cq_manager"), timeout=T)
    assert again.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    for sql in ["UPDATE statements SET total_fen = total_fen + 1 WHERE id = :'p1'",
                "UPDATE reward_lines l SET amount_fen = 0 FROM statements s WHERE s.id = :'p1' "
                "AND l.period_start = s.period_start AND l.payee_account_id = s.payee_account_id",
                "DELETE FROM reward_lines l USING statements s WHERE s.id = :'p1' "
                "AND l.period_start = s.period_start AND l.payee_account_id = s.payee_account_id",
                "UPDATE statements SET state = 'draft' WHERE id = :'p1'"]:
        with pytest.raises(AssertionError):
            cluster.query("settlements", sql, statement.statement_id)

    paid_on = ms(datetime.now(SHANGHAI))
    paid = s.RecordPayment(pb.RecordPaymentRequest(statement_id=statement.statement_id, payment_reference="工行转账 0001",
                                                   paid_on_ms=paid_on), metadata=world.who("cq_dealer"), timeout=T).statement
    assert (paid.state, paid.payment_reference, paid.paid_on_ms) == (pb.STATEMENT_STATE_PAID, "工行转账 0001", paid_on)
    done = earnings(cluster, world, "ref_a")
    assert (done.pending_fen, done.approved_fen, done.paid_fen) == (0, 0, 1204)
    assert next(l for l in done.lines if l.line.order_code == order.code).state == pb.EARNING_STATE_PAID
    # ref_a was told by SMS (settlements' outbox -> notifications -> the development provider).
    texts = eventually("ref_a's SMS about approval and payment", lambda: (lambda mine: mine if len(mine) >= 2 else None)(
        [line["text"] for line in cluster.sms_lines() if line["to"] == world.people["ref_a"].phone]))
    assert any("已审批" in text and "¥12.04" in text for text in texts), texts
    assert any("已支付" in text and "工行转账 0001" in text for text in texts), texts
    archived = s.ArchiveStatement(pb.ArchiveStatementRequest(statement_id=statement.statement_id),
                                  metadata=world.who("cq_manager"), timeout=T).statement
    assert archived.state == pb.STATEMENT_STATE_ARCHIVED
    assert mismatches(cluster) == 0

    # The office lead prints it: the PDF's text has the Chinese payee name and the total.
    exported = s.ExportStatement(pb.ExportStatementRequest(statement_id=statement.statement_id, format=pb.EXPORT_FORMAT_PDF),
                                 metadata=world.who("cq_lead"), timeout=T)
    assert exported.content_type == "application/pdf"
    pdf = tmp_path / "statement.pdf"
    pdf.write_bytes(exported.content)
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    assert "李小龙" in text and "¥12.04" in text and order.code in text and "片区经理签字" in text, text
    subprocess.run(["pdftoppm", "-png", "-r", "40", "-f", "1", "-l", "1", str(pdf), str(tmp_path / "page")], check=True)
    pages = list(tmp_path.glob("page*.png"))
    assert len(pages) == 1 and pages[0].stat().st_size > 1000
    # The office lead's sales and payment statement of the dealer's week: both levels, the total.
    week_pdf = s.ExportDealerWeek(pb.ExportDealerWeekRequest(week=week, dealer_account_id=world.id("cq_dealer"),
                                                             format=pb.EXPORT_FORMAT_PDF), metadata=world.who("cq_lead"), timeout=T)
    (tmp_path / "week.pdf").write_bytes(week_pdf.content)
    text = subprocess.run(["pdftotext", "-layout", str(tmp_path / "week.pdf"), "-"], capture_output=True, text=True,
                          check=True).stdout
    assert "销售及付款结算单" in text and "李小龙" in text and "王招募" in text and "¥13.24" in text, text
    csv = s.ExportStatement(pb.ExportStatementRequest(statement_id=statement.statement_id, format=pb.EXPORT_FORMAT_CSV),
                            metadata=world.who("cq_lead"), timeout=T)
    assert "李小龙" in csv.content.decode("utf-8-sig") and "¥12.04" in csv.content.decode("utf-8-sig")


def visited_event(cluster, world, order: str, at_ms: int, lines, referrer: str):
    """An OrderVisited as orders' outbox sends it: lines are (sku, actual quantity, unit price fen)."""
    ev = cluster.stubs.orders_events
    event_lines = [ev.EventLine(sku_id=sku, quantity=q, unit_price_fen=p, actual_quantity=q, actual_fen=q * p)
                   for sku, q, p in lines]
    total = sum(line.actual_fen for line in event_lines)
    return ev.OrderVisited(event_id=uuid.uuid4().hex, order_id=order, order_code="W-" + order,
                           source=cluster.stubs.orders.SOURCE_ALLIANCE, region_id="cq", office_id="cq-o1",
                           district_id="cq-o1-d3", credited_team_path="/hq/cq/cq-o1/cq-o1-d3/t7",
                           dealer_account_id=world.id("cq_dealer"), referrer_account_id=world.id(referrer),
                           customer_phone="13700009999", lines=event_lines, ordered_fen=total, actual_fen=total,
                           submitted_at_ms=at_ms - 3_600_000, visited_at_ms=at_ms)


def test_sunday_midnight_two_levels_refund_after_signing_and_negative_carry_forward(cluster, world):
    pb = cluster.stubs.settlements
    direct = cluster.stubs.settlements_grpc.SettlementServiceStub(cluster.channel("settlements"))
    system = system_metadata()
    # Three weeks ahead of now (they have no statements yet), in Asia/Shanghai.
    a = week_start(datetime.now(SHANGHAI)) + timedelta(weeks=2)
    b, c = a + timedelta(weeks=1), a + timedelta(weeks=2)
    sunday_late = ms(b) - 1          # Sunday 23:59:59.999 in Shanghai: week A
    monday = ms(b)                   # Monday 00:00 in Shanghai (Sunday 16:00 UTC): week B
    assert datetime.fromtimestamp(monday / 1000, ZoneInfo("UTC")).weekday() == 6
    sun = visited_event(cluster, world, "sun-" + uuid.uuid4().hex[:6], sunday_late,
                        [("bj-500", 3, 12800), ("bj-250", 1, 6800)], "ref_b")   # L1 15 + 2.04 = 17.04; L2 1.70
    mon = visited_event(cluster, world, "mon-" + uuid.uuid4().hex[:6], monday, [("bj-250", 2, 6800)], "ref_b")  # 4.08; 0.41
    first = visited_event(cluster, world, "first-" + uuid.uuid4().hex[:6], ms(a), [("bj-250", 1, 6800)], "ref_b")  # 2.04; 0.20
    midweek = visited_event(cluster, world, "mid-" + uuid.uuid4().hex[:6], ms(a + timedelta(days=3, hours=12)),
                            [("bj-250", 1, 6800)], "ref_b")                                           # 2.04; 0.20
    for event in (first, midweek, sun, mon, sun):  # the redelivery of `sun` changes nothing
        direct.RecordOrderVisited(event, metadata=system, timeout=T)

    close(cluster, world, week_name(a))
    close(cluster, world, week_name(a))  # twice: nothing more
    # Monday 00:00, mid-week and Sunday 23:59:59.999 of week A are on A's statement; Monday 00:00 of B is not.
    sa = statement_of(cluster, world, week_name(a), "ref_b")
    assert sorted((l.order_code, l.sales_fen, l.amount_fen, l.level) for l in sa.lines) == sorted([
        (first.order_code, 6800, 204, 1), (midweek.order_code, 6800, 204, 1), (sun.order_code, 45200, 1704, 1)])
    assert sa.total_fen == 2112
    assert statement_of(cluster, world, week_name(a), "rec_b").total_fen == 20 + 20 + 170
    for payee in ("ref_b", "rec_b"):
        st = statement_of(cluster, world, week_name(a), payee)
        settlements(cluster).SignStatement(pb.SignStatementRequest(statement_id=st.statement_id),
                                           metadata=world.who("cq_manager"), timeout=T)

    # The order of week A is refunded in week B, after A was signed: both levels come back in B.
    ev = cluster.stubs.orders_events
    refund = ev.OrderRefunded(event_id=uuid.uuid4().hex, order_id=sun.order_id, order_code=sun.order_code, region_id="cq",
                              dealer_account_id=world.id("cq_dealer"), refunded_fen=sun.actual_fen,
                              visited_at_ms=sunday_late, refunded_at_ms=monday + 60_000)
    direct.RecordOrderRefunded(refund, metadata=system, timeout=T)
    direct.RecordOrderRefunded(refund, metadata=system, timeout=T)
    assert statement_of(cluster, world, week_name(a), "ref_b").total_fen == 2112  # the signed one is untouched

    close(cluster, world, week_name(b))
    sb = statement_of(cluster, world, week_name(b), "ref_b")
    assert sorted((l.order_code, l.amount_fen) for l in sb.lines) == sorted([(mon.order_code, 408), (sun.order_code, -1704)])
    assert (sb.total_fen, sb.payable_fen, sb.carried_forward_fen) == (-1296, 0, -1296)
    rb = statement_of(cluster, world, week_name(b), "rec_b")
    assert (rb.total_fen, rb.payable_fen) == (41 - 170, 0)

    # Week C's reward nets the carried balance; the carry is a line of its own.
    nxt = visited_event(cluster, world, "next-" + uuid.uuid4().hex[:6], ms(c) + 60_000, [("bj-500", 5, 12800)], "ref_b")
    direct.RecordOrderVisited(nxt, metadata=system, timeout=T)
    close(cluster, world, week_name(c))
    sc = statement_of(cluster, world, week_name(c), "ref_b")
    assert sorted(l.amount_fen for l in sc.lines) == [-1296, 2500]
    assert sc.total_fen == sc.payable_fen == 1204
    assert statement_of(cluster, world, week_name(c), "rec_b").total_fen == 250 - 129
    assert mismatches(cluster) == 0


def test_close_from_two_workers_one_killed_midway_gives_one_statement_set(cluster, world):
    """200,000 lines of a far week, closed by the cluster's settlements and a second replica at
    once; the second is killed while closing. One statement per dealer and payee, totals equal
    to their lines, and a third close changes nothing."""
    far = week_start(datetime.now(SHANGHAI)) + timedelta(weeks=20)
    cluster.query("settlements", """
        INSERT INTO reward_lines (id, kind, level, order_id, order_code, event_id, region_id, dealer_account_id,
            payee_account_id, sales_fen, amount_fen, rule_version, occurred_at, period_start, created_at)
        SELECT gen_random_uuid()::text, 'reward', 1, 'bulk-' || i, 'B' || i, 'bulk-' || i, 'cq', 'dealer-' || (i % 7),
            'payee-' || (i % 20000), 10000 + i % 97, 300 + i % 13, 1,
            to_timestamp(:'p1'::bigint / 1000.0) + (i % 600000) * interval '1 second',
            to_timestamp(:'p1'::bigint / 1000.0), now()
        FROM generate_series(1, 200000) AS i
        """, str(ms(far)))
    spec = cluster.specs["settlements"]
    port = wire_support.free_port()
    env = {**spec.env, "XSC_LISTEN": f"127.0.0.1:{port}", "XSC_ADMIN_LISTEN": f"127.0.0.1:{wire_support.free_port()}"}
    replica = wire_support.ServerProcess("xsc-settlements-2", [str(wire_support.binary("xsc-settlements"))], port, env=env).start()
    system = system_metadata("svc-settlements-test")
    request = cluster.stubs.settlements.CloseWeekRequest(week=week_name(far), before_end=True)
    answers: dict[str, object] = {}

    def call(name: str, address: str):
        channel = grpc.insecure_channel(address)
        try:
            stub = cluster.stubs.settlements_grpc.SettlementServiceStub(channel)
            answers[name] = stub.CloseWeek(request, metadata=system, timeout=120)
        except grpc.RpcError as error:
            answers[name] = error
        finally:
            channel.close()
    workers = [threading.Thread(target=call, args=("first", cluster.address("settlements"))),
               threading.Thread(target=call, args=("replica", f"127.0.0.1:{port}"))]
    for worker in workers:
        worker.start()
    # Kill the replica while the closes run (its transaction, if it had one, dies with it).
    eventually("a close is running", lambda: int(cluster.query(
        "settlements", "SELECT count(*) FROM pg_stat_activity WHERE query ILIKE '%period_closes%' AND state <> 'idle'")[0][0]) > 0
        or "first" in answers, interval_s=0.01)
    replica.proc.kill()
    replica.proc.wait()
    replica.stop()
    for worker in workers:
        worker.join(timeout=180)
    first = answers["first"]
    assert not isinstance(first, grpc.RpcError), first
    again = settlements(cluster).CloseWeek(request, metadata=world.who("cq_manager"), timeout=120)
    assert not again.closed_now
    rows = cluster.query("settlements", """
        SELECT count(*), count(DISTINCT (dealer_account_id, payee_account_id)), coalesce(sum(line_count), 0)
        FROM statements WHERE week_name = :'p1'""", week_name(far))
    statements, pairs, lines = (int(v) for v in rows[0])
    assert statements == pairs == again.statements
    assert statements == len({(i % 7, i % 20000) for i in range(1, 200001)})
    assert lines == 200000
    orphans = cluster.query("settlements", """
        SELECT count(*) FROM reward_lines l WHERE l.period_start = to_timestamp(:'p1'::bigint / 1000.0) AND NOT EXISTS (
            SELECT 1 FROM statements s WHERE s.period_start = l.period_start AND s.dealer_account_id = l.dealer_account_id
              AND s.payee_account_id = l.payee_account_id)""", str(ms(far)))
    assert orphans == [["0"]]
    assert mismatches(cluster) == 0


def test_ledger_totals_the_drill_sla_miss(cluster, world):
    """An order in district cq-o1-d4 (a 3-second SLA) nobody acknowledges: orders records the
    office lead's miss and sends it; the ledger prices it at the company's staff rate for a
    general violation (200 yuan), closed in the lead's own node."""
    order = world.submit("cq_lead", world.order_request("self", "cq-o1-d4"))
    pb = cluster.stubs.settlements
    s = settlements(cluster)
    summary = eventually("the miss reached the ledger", lambda: next(
        (r for r in [s.ViolationSummary(pb.ViolationSummaryRequest(), metadata=world.who("cq_lead"), timeout=T)]
         if any(p.person_account_id == world.id("cq_lead") for p in r.people)), None))
    lead = next(p for p in summary.people if p.person_account_id == world.id("cq_lead"))
    assert lead.general >= 1 and lead.penalty_fen == 20000 * lead.general
    assert summary.penalty_fen == sum(p.penalty_fen for p in summary.people)
    listed = s.ListViolations(pb.ListViolationsRequest(person_account_id=world.id("cq_lead")),
                              metadata=world.who("cq_lead"), timeout=T).violations
    assert order.code in [v.reference for v in listed]
    assert all(v.class_ == pb.VIOLATION_CLASS_GENERAL if hasattr(v, "class_") else True for v in listed)
    # Closed in the team: the regional manager above it gets NOT_FOUND for the lead's node.
    with pytest.raises(grpc.RpcError) as hidden:
        s.ViolationSummary(pb.ViolationSummaryRequest(team_path="/hq/cq/cq-o1"), metadata=world.who("cq_manager"), timeout=T)
    assert hidden.value.code() == grpc.StatusCode.NOT_FOUND


def test_an_order_without_referrer_waits_for_the_customers_binding(cluster, world):
    """No referrer: the beneficiary is the customer's bound intermediary, which only the
    customers service knows (test_settlements_binding.py runs it). It is not running here, so
    settlements answers UNAVAILABLE and the
    event stays pending in orders' outbox (retried, never dead, never dropped)."""
    order = world.submit("cq_lead", world.order_request("self", "cq-o1-d3", phone="13700005555"))
    world.to_delivered(order.id)
    world.visit(order.id, "cq_lead", {"bj-500": 1, "bj-250": 1})
    path = "/xsc.settlements.v1.SettlementService/RecordOrderVisited"

    def retried():
        rows = [(event_id, state) for event_id, state, event in world.outbox(path, cluster.stubs.orders_events.OrderVisited)
                if event.order_id == order.id]
        if not rows:
            return None
        attempts = cluster.query("orders", "SELECT state, attempts, coalesce(last_error, '') FROM xsc_outbox WHERE event_id = :'p1'",
                                 rows[0][0])[0]
        # The attempt counts at its claim; its error is written once the call failed.
        return attempts if int(attempts[1]) >= 1 and attempts[2] else None
    state, _attempts, last_error = eventually("orders retried the visit", retried)
    assert state == "pending", last_error
    assert "UNAVAILABLE" in last_error.upper() or "customers" in last_error, last_error
    assert cluster.query("settlements", "SELECT count(*) FROM reward_lines WHERE order_id = :'p1'", order.id) == [["0"]]


def test_proposal_violation_as_the_proposals_service_sends_it(cluster, world):
    """xsc.proposals.v1.ProposalViolation (proposals' outbox, a SYSTEM actor): booked once on
    its team at the company's staff rate; only that team's accounts read it."""
    pb = cluster.stubs.settlements
    direct = cluster.stubs.settlements_grpc.SettlementServiceStub(cluster.channel("settlements"))
    team = "/hq/cq/cq-o1/cq-o1-d3/t7"
    event = cluster.stubs.proposals_events.ProposalViolation(
        event_id=uuid.uuid4().hex, rule="proposal_checkpoint", person_account_id=world.id("ref_b"), team_path=team,
        proposal_id="prop-" + uuid.uuid4().hex[:6], reference="checkpoint-1", due_at_ms=ms(datetime.now(SHANGHAI)) - 60_000,
        recorded_at_ms=ms(datetime.now(SHANGHAI)), detail="未按时汇报检查点")
    first = direct.RecordProposalViolation(event, metadata=system_metadata("svc-proposals"), timeout=T)
    again = direct.RecordProposalViolation(event, metadata=system_metadata("svc-proposals"), timeout=T)
    assert (first.applied, again.applied) == (True, False)
    s = settlements(cluster)
    listed = s.ListViolations(pb.ListViolationsRequest(person_account_id=world.id("ref_b")), metadata=world.who("cq_team_admin"),
                              timeout=T).violations
    assert [(v.rule, v.reference, v.penalty_fen, v.source) for v in listed] == [("proposal_checkpoint", "checkpoint-1", 20000, "proposal")]
    # A person cannot send events.
    with pytest.raises(grpc.RpcError) as refused:
        s.RecordProposalViolation(event, metadata=world.who("cq_manager"), timeout=T)
    assert refused.value.code() == grpc.StatusCode.PERMISSION_DENIED
