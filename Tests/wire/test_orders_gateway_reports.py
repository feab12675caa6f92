"""Each report's figures on a known data set, end to end through xsc-gateway, asked by the gz
regional manager (its region's subtree only), and the quarterly promotion-expense listing.
Times are the real clock's, so the expected weekdays, hours, business weeks (Monday-Sunday) and
quarter are worked out here from the orders' own timestamps in Asia/Shanghai.

The data set (region gz, nothing else there; the world is shared with the feed's module, which
stays out of gz):
  1. mall (tmall) in d1, acknowledged, delivered, visited with 1 of 3 bottles + 1 small
  2. alliance (referred) in d1, acknowledged
  3. self in d1, cancelled
  4. phone in d2 (2-second SLA), never acknowledged: one miss for the gz lead
  5. promotion-expense order in d1 under plan gz-tasting, visited: a cost, not a sale"""
from __future__ import annotations

import math
import time
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import grpc
import pytest

from cluster_support import eventually
from orders_world import GUIDED, REGION_PRICES, T

ZONE = ZoneInfo("Asia/Shanghai")
GZ = REGION_PRICES["gz"]
D1_TEAM, D2_TEAM = "/hq/gz/gz-o1/gz-o1-d1/t1", "/hq/gz/gz-o1/gz-o1-d2/t2"


@pytest.fixture(scope="module")
def data(orders_world):
    # Shared with the feed's module (conftest.py): nothing of it is in region gz.
    yield orders_world, make_data_set(orders_world)
    orders_world.cluster.assert_all_running()


def make_data_set(world):
    pb = world.pb.orders
    now = int(time.time() * 1000)
    plan = pb.PromotionPlan(plan_id="gz-tasting", name="品鉴会", starts_at_ms=now - 86_400_000, ends_at_ms=now + 86_400_000,
                            region_ids=["gz"], budget_fen_per_region=1_000_000, active=True)
    world.orders.UpsertPromotionPlan(pb.UpsertPromotionPlanRequest(plan=plan), metadata=world.admin, timeout=T)
    mall = world.submit("tmall", world.order_request("mall", "gz-o1-d1", external_id="GZ-R1"))
    world.to_delivered(mall.id, lead="gz_lead", dealer="gz_dealer")
    world.visit(mall.id, "gz_lead", {"bj-500": 1, "bj-250": 1})
    alliance = world.submit("alliance-site", world.order_request("alliance", "gz-o1-d1", external_id="GZ-R2", referrer=world.id("referrer")))
    world.step("Acknowledge", "gz_lead", order_id=alliance.id)
    own = world.submit("gz_lead", world.order_request("self", "gz-o1-d1"))
    world.step("Cancel", "gz_lead", order_id=own.id, reason="duplicate")
    phone = world.submit("gz_lead", world.order_request("phone", "gz-o1-d2"))
    promotion = world.submit("gz_cs", world.order_request("self", "gz-o1-d1", promotion_plan="gz-tasting"))
    world.to_delivered(promotion.id, lead="gz_lead", dealer="gz_dealer")
    world.visit(promotion.id, "gz_cs", {"bj-500": 2, "bj-250": 1})
    return {"mall": mall, "alliance": alliance, "own": own, "phone": phone, "promotion": promotion}


def period():
    now = int(time.time() * 1000)
    return dict(from_ms=now - 86_400_000, to_ms=now + 86_400_000)


def local(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000, ZONE)


def week_of(ms: int) -> tuple[int, str]:
    """(start of the business week in Unix ms, ISO week name) of a moment, in Asia/Shanghai."""
    moment = local(ms)
    monday = (moment - timedelta(days=moment.weekday())).replace(hour=0, minute=0, second=0, microsecond=0)
    year, week, _ = moment.isocalendar()
    return int(monday.timestamp() * 1000), f"{year}-W{week:02d}"


def test_sales_by_team_per_business_week(data):
    world, orders = data
    pb = world.pb.orders
    rows = world.orders.SalesByTeam(pb.ReportRequest(group_by=pb.REPORT_PERIOD_WEEK, **period()),
                                    metadata=world.who("gz_manager"), timeout=T).rows
    mall_total, list_total = 3 * GUIDED["bj-500"] + GUIDED["bj-250"], 3 * GZ["bj-500"] + GZ["bj-250"]
    # (week, team) -> [orders, ordered, visited, actual]; cancelled and promotion orders are no sales.
    expected: dict[tuple, list] = {}
    for name, team, ordered, actual in [("mall", D1_TEAM, mall_total, GUIDED["bj-500"] + GUIDED["bj-250"]),
                                        ("alliance", D1_TEAM, list_total, None), ("phone", D2_TEAM, list_total, None)]:
        row = expected.setdefault((week_of(orders[name].created_at_ms), team), [0, 0, 0, 0])
        row[0] += 1
        row[1] += ordered
        if actual is not None:
            row[2] += 1
            row[3] += actual
    got = {((r.period_start_ms, r.period), r.credited_team_path): [r.orders, r.ordered_fen, r.visited_orders, r.actual_fen]
           for r in rows}
    assert got == expected
    assert [(r.period_start_ms, r.credited_team_path) for r in rows] == sorted((w[0], t) for w, t in expected)
    with pytest.raises(grpc.RpcError) as refused:
        world.orders.SalesByTeam(pb.ReportRequest(**period()), metadata=world.who("referrer"), timeout=T)
    assert refused.value.code() == grpc.StatusCode.PERMISSION_DENIED, "an intermediary sees its referrals, not reports"

    # By return visit: only the visited mall order, with what the visit confirmed.
    visited = world.orders.SalesByTeam(pb.ReportRequest(basis=pb.SALES_BASIS_VISITED, **period()),
                                       metadata=world.who("gz_manager"), timeout=T).rows
    assert [(r.credited_team_path, r.orders, r.ordered_fen, r.visited_orders, r.actual_fen) for r in visited] == [
        (D1_TEAM, 1, mall_total, 1, GUIDED["bj-500"] + GUIDED["bj-250"])]
    with pytest.raises(grpc.RpcError) as misplaced:
        world.orders.ChannelMix(pb.ReportRequest(basis=pb.SALES_BASIS_VISITED, **period()),
                                metadata=world.who("gz_manager"), timeout=T)
    assert misplaced.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "basis" in misplaced.value.details()


def percentile(values: list[int], q: float) -> int:
    """PostgreSQL's percentile_cont, rounded as its float8 -> bigint cast rounds."""
    ordered = sorted(values)
    position = q * (len(ordered) - 1)
    low = math.floor(position)
    high = min(low + 1, len(ordered) - 1)
    return round(ordered[low] + (ordered[high] - ordered[low]) * (position - low))


def test_sla_compliance_per_lead(data):
    world, orders = data
    pb = world.pb.orders
    lead = world.id("gz_lead")

    def report():
        rows = world.orders.SlaCompliance(pb.ReportRequest(**period()), metadata=world.who("gz_manager"), timeout=T).rows
        return rows if any(r.misses for r in rows) else None
    rows = eventually("order 4's acknowledgement deadline (2 s) passed", report)
    waits = []
    for name in ["mall", "alliance", "promotion"]:
        events = world.events(orders[name].id)
        waits.append(next(e.at_ms for e in events if e.kind == "acknowledged") - events[0].at_ms)
    assert [r.account_id for r in rows] == [lead]
    assert (rows[0].acknowledgements, rows[0].misses) == (3, 1)
    assert abs(rows[0].p50_ack_ms - percentile(waits, 0.5)) <= 1
    assert abs(rows[0].p90_ack_ms - percentile(waits, 0.9)) <= 1


def test_orders_by_weekday_and_hour_in_the_organisations_zone(data):
    world, orders = data
    pb = world.pb.orders
    cells = world.orders.OrdersByWeekdayHour(pb.ReportRequest(**period()), metadata=world.who("gz_manager"), timeout=T).cells
    expected: dict[tuple, int] = {}
    for order in orders.values():  # every order is workload, cancelled and promotion ones too
        moment = local(order.created_at_ms)
        expected[(moment.isoweekday(), moment.hour)] = expected.get((moment.isoweekday(), moment.hour), 0) + 1
    assert [(c.weekday, c.hour, c.orders) for c in cells] == sorted((w, h, n) for (w, h), n in expected.items())


def test_channel_mix(data):
    world, _ = data
    pb = world.pb.orders
    rows = world.orders.ChannelMix(pb.ReportRequest(**period()), metadata=world.who("gz_manager"), timeout=T).rows
    list_total = 3 * GZ["bj-500"] + GZ["bj-250"]
    assert [(r.source, r.orders, r.ordered_fen) for r in rows] == [
        (pb.SOURCE_ALLIANCE, 1, list_total), (pb.SOURCE_MALL, 1, 3 * GUIDED["bj-500"] + GUIDED["bj-250"]),
        (pb.SOURCE_PHONE, 1, list_total)]


def test_promotion_expenses_of_the_quarter(data):
    world, orders = data
    pb = world.pb.orders
    promotion = world.orders.GetOrder(pb.GetOrderRequest(order_id=orders["promotion"].id), metadata=world.admin, timeout=T).order
    moment = local(promotion.visited_at_ms)
    quarter = f"{moment.year}Q{(moment.month - 1) // 3 + 1}"
    assert promotion.reimbursement_quarter == quarter
    request = pb.PromotionExpensesRequest(quarter=quarter)
    report = world.orders.PromotionExpenses(request, metadata=world.who("gz_manager"), timeout=T)
    assert [(t.plan_id, t.region_id, t.orders, t.reimbursable_fen) for t in report.totals] == [
        ("gz-tasting", "gz", 1, 2 * GZ["bj-500"] + GZ["bj-250"])]
    assert [o.order_id for o in report.orders] == [promotion.id]
    elsewhere = world.orders.PromotionExpenses(request, metadata=world.who("sc_lead"), timeout=T)
    assert (len(elsewhere.totals), len(elsewhere.orders)) == (0, 0)
    with pytest.raises(grpc.RpcError) as over:
        world.submit("gz_cs", world.order_request("self", "gz-o1-d1", quantities=(100, 0), promotion_plan="gz-tasting"))
    assert over.value.code() == grpc.StatusCode.FAILED_PRECONDITION, "beyond the region's budget"
    with pytest.raises(grpc.RpcError) as partner:
        world.orders.PromotionExpenses(request, metadata=world.who("tmall"), timeout=T)
    assert partner.value.code() == grpc.StatusCode.PERMISSION_DENIED
