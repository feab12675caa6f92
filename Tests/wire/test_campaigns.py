"""Group-buy campaigns end to end (issue 17): gateway + orders + notifications + settlements +
campaigns as real processes on a fresh PostgreSQL, every call through the gateway with real
sessions and partner keys (Python grpcio). The organisation is orders_world's (region cq, office
cq-o1, districts cq-o1-d3 and cq-o1-d4), plus a second dealer for d4, a verification officer and
cq's regional manager (the reward rule).

- a campaign that succeeds: every participation becomes an order of the order area (checked
  line by line against the purchase and picking lists), every participant gets the pickup code;
- one that fails: every participation cancelled with its refund due, no order placed, every
  participant's SMS in the development file;
- the oversell race: 200 concurrent joins for the last 10 units, exactly 10 succeed;
- pickup with a wrong, a reused and the right code; the collected order is visited in orders and
  the leader's commission is booked by settlements and shows on the leader's statement.

Needs DATABASE_URL. Waits are polls under one liveness bound, never timing assertions."""
from __future__ import annotations

import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from zoneinfo import ZoneInfo

import grpc
import pytest

import orders_world
from cluster_support import Cluster, eventually
from orders_world import World

T = 30
TEAM = "/hq/cq/cq-o1/cq-o1-d3/t7"
EXTRA_PEOPLE = {  # name -> (role, node)
    "cq_dealer2": ("DEALER", "/hq/cq/cq-o1/cq-o1-d4"),
    "verifier": ("SALESPERSON", "/hq/cq/cq-o1/cq-o1-d3"),
    "cq_manager": ("REGIONAL_MANAGER", "/hq/cq"),
    "other_admin": ("TEAM_ADMIN", "/hq/cq/cq-o1/cq-o1-d4/t9"),
}
# Campaign prices: under the guided maxima (bj-500 15800, bj-250 8800).
PRICE = {"bj-500": 11800, "bj-250": 6000}


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    with Cluster.started(tmp_path_factory.mktemp("campaigns"),
                         services=("gateway", "orders", "notifications", "settlements", "campaigns"),
                         # Participants' SMS are customer messages: no quiet hours in the test.
                         env={"notifications": {"XSC_SMS_QUIET_HOURS": "off"}}) as running:
        yield running
        running.assert_all_running()


@pytest.fixture(scope="module")
def world(cluster):
    built = World(cluster).build()
    gw = cluster.stubs.gateway
    for name, (role, node) in EXTRA_PEOPLE.items():
        phone = "1350000%04d" % (len(built.people) + 1)
        account = built.accounts.CreateAccount(gw.CreateAccountRequest(
            name=name, phone=phone, role=gw.AccountRole.Value("ACCOUNT_ROLE_" + role), node_path=node,
            initial_password=orders_world.PASSWORD), metadata=built.admin, timeout=T)
        built.people[name] = orders_world.Person(name, account.id, phone, cluster.login(phone, orders_world.PASSWORD))
    built.wait_directory()
    # d4 is served by the second dealer from now on.
    pb = cluster.stubs.orders
    routing = pb.DistrictRouting(district_id="cq-o1-d4", region_id="cq", office_id="cq-o1", credited_team_path="/hq/cq/cq-o1/cq-o1-d4/t9",
                                 office_lead_account_ids=[built.id("cq_lead")], dealer_account_ids=[built.id("cq_dealer2")],
                                 escalation_account_ids=[built.id("cq_cs")])
    built.orders.SetDistrictRouting(pb.SetDistrictRoutingRequest(routing=routing), metadata=built.admin, timeout=T)
    # Campaigns checks the leader and the verifiers against the directory the gateway feeds it.
    # cq's reward rule (3% of actual sales), in force before any campaign order is collected.
    spb = cluster.stubs.settlements
    cluster.stubs.settlements_grpc.SettlementServiceStub(cluster.gateway_channel()).SetRewardRule(
        spb.SetRewardRuleRequest(region_id="cq", percent_basis_points=300), metadata=built.who("cq_manager") + key(), timeout=T)
    ids = sorted(p.id for p in built.people.values())
    eventually("campaigns' directory knows every account", lambda: int(cluster.query(
        "campaigns", "SELECT count(*) FROM xsc_directory WHERE account_id = ANY(string_to_array(:'p1', ','))",
        ",".join(ids))[0][0]) == len(ids))
    return built


def key() -> list:
    return [("idempotency-key", uuid.uuid4().hex)]


def stub(cluster):
    return cluster.stubs.campaigns_grpc.CampaignServiceStub(cluster.gateway_channel())


def reason(cluster, error: grpc.RpcError) -> str:
    infos = [d for d in cluster.stubs.error_details(error) if isinstance(d, cluster.stubs.details.ErrorInfo)]
    return infos[0].reason if infos else ""


def create(cluster, world, min_quantity: int, deadline_s: float, stock: int = 0, per_person: int = 0):
    pb = cluster.stubs.campaigns
    products = [pb.CampaignProduct(sku_id="bj-500", name="52度 500ml", campaign_price_fen=PRICE["bj-500"], stock_cap=stock,
                                   per_person_limit=per_person),
                pb.CampaignProduct(sku_id="bj-250", name="52度 250ml", campaign_price_fen=PRICE["bj-250"])]
    points = [pb.PickupPoint(pickup_point_id="p1", name="幸福小区便利店", address="渝中区幸福路1号", district_id="cq-o1-d3",
                             dealer_account_id=world.id("cq_dealer"), hours="每天 9:00-18:00", contact_phone="13800138000",
                             verifier_account_ids=[world.id("verifier")]),
              pb.PickupPoint(pickup_point_id="p2", name="和平小区门卫室", address="渝中区和平路2号", district_id="cq-o1-d4",
                             dealer_account_id=world.id("cq_dealer2"), hours="每天 8:00-20:00", contact_phone="13800138001")]
    campaign = pb.Campaign(title="中秋团购", leader_account_id=world.id("referrer"), products=products, pickup_points=points,
                           deadline_ms=int((time.time() + deadline_s) * 1000), min_quantity=min_quantity)
    return stub(cluster).CreateCampaign(pb.CreateCampaignRequest(campaign=campaign), metadata=world.who("cq_team_admin") + key(),
                                        timeout=T).campaign


def join(cluster, who_metadata, campaign, phone: str, point: str = "p1", lines=(("bj-500", 1),), by_code: bool = False,
         idempotency_key: str | None = None):
    pb = cluster.stubs.campaigns
    request = pb.JoinCampaignRequest(customer_name="邻居" + phone[-4:], customer_phone=phone, pickup_point_id=point,
                                     lines=[pb.JoinLine(sku_id=sku, quantity=quantity) for sku, quantity in lines])
    if by_code:
        request.share_code = campaign.share_code
    else:
        request.campaign_id = campaign.id
    metadata = who_metadata + ([("idempotency-key", idempotency_key)] if idempotency_key else key())
    return stub(cluster).JoinCampaign(request, metadata=metadata, timeout=T).participation


def wait_closed(cluster, world, campaign, state: str):
    pb = cluster.stubs.campaigns
    expected = pb.CampaignState.Value("CAMPAIGN_STATE_" + state)

    def closed():
        got = stub(cluster).GetCampaign(pb.GetCampaignRequest(campaign_id=campaign.id), metadata=world.who("cq_team_admin"), timeout=T)
        return got.campaign if got.campaign.state == expected else None
    return eventually(f"campaign {campaign.id} {state.lower()}", closed, timeout_s=120)


def campaign_orders(cluster, participation_ids) -> dict[str, dict]:
    """The order area's orders placed for these participations: external id -> order facts and lines."""
    rows = cluster.query("orders", """
        SELECT o.external_id, o.id, o.referrer_code, o.district_id, o.state, o.total_fen, o.customer_phone,
               l.sku_id, l.quantity, l.unit_price_fen
        FROM orders o JOIN order_lines l ON l.order_id = o.id
        WHERE o.source = 'groupbuy_platform' AND o.partner_id = 'svc-campaigns'
          AND o.external_id = ANY(string_to_array(:'p1', ','))
        ORDER BY o.external_id, l.sku_id""", ",".join(participation_ids))
    found: dict[str, dict] = {}
    for external, order_id, referrer, district, state, total, phone, sku, quantity, price in rows:
        order = found.setdefault(external, {"id": order_id, "referrer": referrer, "district": district, "state": state,
                                            "total": int(total), "phone": phone, "lines": {}})
        order["lines"][sku] = (int(quantity), int(price))
    return found


# Generous deadlines: every join must land before them on a loaded machine. Both campaigns are
# opened and joined first, then their deadlines pass together.
DEADLINE_S = 40
FAILING_PHONES = ["13700001001", "13700001002", "13700001003", "13700001004"]


@pytest.fixture(scope="module")
def opened(cluster, world):
    """A campaign joined by 7 participants on two points (one through a partner's mini-program
    by share code), 9 units for a minimum of 5; and one joined by 4 for a minimum of 100."""
    winning = create(cluster, world, min_quantity=5, deadline_s=DEADLINE_S)
    losing = create(cluster, world, min_quantity=100, deadline_s=DEADLINE_S)
    plan = [("13900000001", "p1", (("bj-500", 2),)), ("13900000002", "p2", (("bj-500", 1), ("bj-250", 1))),
            ("13900000003", "p1", (("bj-250", 1),)), ("13900000004", "p2", (("bj-500", 1),)),
            ("13900000005", "p1", (("bj-500", 1),)), ("13900000006", "p1", (("bj-250", 1),))]
    joined = [join(cluster, world.who("referrer"), winning, phone, point, lines) for phone, point, lines in plan]
    joined.append(join(cluster, world.who("tmall"), winning, "13900000007", "p2", (("bj-500", 1),), by_code=True))
    lost = [join(cluster, world.who("referrer"), losing, phone, "p1" if i % 2 else "p2") for i, phone in enumerate(FAILING_PHONES)]
    # Held in campaigns until the deadline: nothing in the order area yet.
    assert campaign_orders(cluster, [p.id for p in joined + lost]) == {}
    return winning, joined, losing, lost


@pytest.fixture(scope="module")
def succeeded(cluster, world, opened):
    winning, joined, _, _ = opened
    return wait_closed(cluster, world, winning, "SUCCEEDED"), joined


def test_a_campaign_that_succeeds_places_every_order_and_both_lists_match_them(cluster, world, succeeded):
    campaign, joined = succeeded
    pb = cluster.stubs.campaigns
    assert campaign.joined_quantity == 9 and campaign.participants == 7
    orders = eventually("every participation is an order", lambda: (lambda found: found if len(found) == 7 else None)(
        campaign_orders(cluster, [p.id for p in joined])))
    points = {"p1": "cq-o1-d3", "p2": "cq-o1-d4"}
    for participation in joined:
        order = orders[participation.id]
        assert order["referrer"] == world.id("referrer")
        assert order["district"] == points[participation.pickup_point_id]
        assert order["state"] == "received"
        assert order["phone"] == participation.customer_phone
        assert order["lines"] == {line.sku_id: (line.quantity, PRICE[line.sku_id]) for line in line_list(participation)}
        assert order["total"] == participation.total_fen

    # The purchase list, line by line, against the orders: per dealer (the point's) and SKU.
    dealers = {"cq-o1-d3": world.id("cq_dealer"), "cq-o1-d4": world.id("cq_dealer2")}
    expected: dict[tuple[str, str], list[int]] = {}
    for order in orders.values():
        for sku, (quantity, price) in order["lines"].items():
            totals = expected.setdefault((dealers[order["district"]], sku), [0, 0, 0])
            totals[0] += quantity
            totals[1] += quantity * price
            totals[2] += 1
    purchase = stub(cluster).PurchaseList(pb.ListRequest(campaign_id=campaign.id), metadata=world.who("cq_team_admin"), timeout=T)
    assert {(l.dealer_account_id, l.sku_id): [l.quantity, l.amount_fen, l.orders] for l in purchase.lines} == expected
    assert {p.sku_id: p.quantity for p in purchase.products} == {"bj-500": 6, "bj-250": 3}

    # The picking list, entry by entry, against the orders of each point.
    picking = stub(cluster).PickingList(pb.PickingListRequest(campaign_id=campaign.id), metadata=world.who("cq_team_admin"),
                                        timeout=T)
    got = sorted((e.pickup_point_id, e.order_external_id, e.customer_phone, e.sku_id, e.quantity) for e in picking.entries)
    want = sorted((point, external, order["phone"], sku, quantity)
                  for external, order in orders.items() for sku, (quantity, _) in order["lines"].items()
                  for point in [next(p for p, d in points.items() if d == order["district"])])
    assert got == want
    # The second dealer sees only its own point, phones masked; another team sees nothing.
    own = stub(cluster).PickingList(pb.PickingListRequest(campaign_id=campaign.id), metadata=world.who("cq_dealer2"), timeout=T)
    assert {e.pickup_point_id for e in own.entries} == {"p2"}
    assert all("****" in e.customer_phone for e in own.entries)
    with pytest.raises(grpc.RpcError) as hidden:
        stub(cluster).GetCampaign(pb.GetCampaignRequest(campaign_id=campaign.id), metadata=world.who("other_admin"), timeout=T)
    assert hidden.value.code() == grpc.StatusCode.NOT_FOUND

    # Every participant is told the pickup code; the office lead is prompted as for any order.
    for participation in joined:
        eventually(f"pickup code SMS to {participation.customer_phone}", lambda: [
            line for line in cluster.sms_lines()
            if line["to"] == participation.customer_phone and participation.pickup_code in line["text"] and "已成团" in line["text"]])


def line_list(participation):
    return list(participation.lines)


def test_a_campaign_that_fails_cancels_every_order_and_texts_every_participant(cluster, world, opened):
    pb = cluster.stubs.campaigns
    _, _, campaign, joined = opened
    phones = FAILING_PHONES
    wait_closed(cluster, world, campaign, "FAILED")
    listed = stub(cluster).ListParticipations(pb.ListParticipationsRequest(campaign_id=campaign.id), metadata=world.who("referrer"),
                                              timeout=T).participations
    assert sorted(p.id for p in listed) == sorted(p.id for p in joined)
    assert all(p.state == pb.PARTICIPATION_STATE_CANCELLED and p.refund_due for p in listed)
    for phone in phones:
        eventually(f"failure SMS to {phone}", lambda: [line for line in cluster.sms_lines()
                                                       if line["to"] == phone and "未达到成团数量" in line["text"]])
    # No order of a failed campaign ever reached the order area, and it has no lists.
    assert campaign_orders(cluster, [p.id for p in joined]) == {}
    with pytest.raises(grpc.RpcError) as refused:
        stub(cluster).PurchaseList(pb.ListRequest(campaign_id=campaign.id), metadata=world.who("cq_team_admin"), timeout=T)
    assert refused.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert reason(cluster, refused.value) == "CAMPAIGN_NOT_SUCCEEDED"


def test_two_hundred_concurrent_joins_for_the_last_ten_units(cluster, world):
    pb = cluster.stubs.campaigns
    campaign = create(cluster, world, min_quantity=1, deadline_s=3600, stock=12)
    join(cluster, world.who("referrer"), campaign, "13600000000", lines=(("bj-500", 2),))

    def attempt(index: int) -> str:
        # A client told "busy" (UNAVAILABLE / RESOURCE_EXHAUSTED under this load) tries again with
        # the same idempotency key, so a join that did commit is answered, never made twice.
        attempt_key = uuid.uuid4().hex
        while True:
            try:
                join(cluster, world.who("referrer"), campaign, "136%08d" % (index + 1), idempotency_key=attempt_key)
                return "ok"
            except grpc.RpcError as error:
                if error.code() in (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.RESOURCE_EXHAUSTED):
                    time.sleep(0.05)
                    continue
                return reason(cluster, error) or error.code().name

    with ThreadPoolExecutor(max_workers=50) as pool:
        outcomes = list(pool.map(attempt, range(200)))
    assert outcomes.count("ok") == 10, sorted(set(outcomes))
    assert outcomes.count("CAMPAIGN_SOLD_OUT") == 190, sorted(set(outcomes))
    after = stub(cluster).GetCampaign(pb.GetCampaignRequest(campaign_id=campaign.id), metadata=world.who("cq_team_admin"), timeout=T)
    assert after.campaign.products[0].reserved == 12 and after.campaign.participants == 11
    assert int(cluster.query("campaigns", "SELECT count(*) FROM participations WHERE campaign_id = :'p1'", campaign.id)[0][0]) == 11


def test_pickup_with_a_wrong_a_reused_and_the_right_code_and_the_leaders_commission(cluster, world, succeeded):
    campaign, joined = succeeded
    pb = cluster.stubs.campaigns
    mine = joined[0]  # p1, 2 x bj-500
    order_id = eventually("its order", lambda: campaign_orders(cluster, [mine.id]).get(mine.id, {}).get("id"))
    # The order goes its normal way to the dealer, who has the goods at the point.
    world.step("Acknowledge", "cq_lead", order_id=order_id)
    world.assign(order_id, "cq_lead", "cq_dealer")
    world.step("Accept", "cq_dealer", order_id=order_id)

    def verify(code: str, who: str = "verifier"):
        return stub(cluster).VerifyPickup(pb.VerifyPickupRequest(campaign_id=campaign.id, pickup_point_id="p1", pickup_code=code),
                                          metadata=world.who(who), timeout=T).participation

    wrong = "00000000" if mine.pickup_code != "00000000" else "00000001"
    with pytest.raises(grpc.RpcError) as bad:
        verify(wrong)
    assert bad.value.code() == grpc.StatusCode.NOT_FOUND and reason(cluster, bad.value) == "PICKUP_CODE_UNKNOWN"
    p2_code = next(p.pickup_code for p in joined if p.pickup_point_id == "p2")
    with pytest.raises(grpc.RpcError) as elsewhere:
        verify(p2_code)
    assert reason(cluster, elsewhere.value) == "PICKUP_CODE_UNKNOWN"
    with pytest.raises(grpc.RpcError) as leader:
        verify(mine.pickup_code, who="referrer")
    assert leader.value.code() == grpc.StatusCode.PERMISSION_DENIED

    collected = verify(mine.pickup_code)
    assert collected.state == pb.PARTICIPATION_STATE_COLLECTED and collected.collected_by == world.id("verifier")
    with pytest.raises(grpc.RpcError) as reused:
        verify(mine.pickup_code, who="cq_dealer")
    assert reused.value.code() == grpc.StatusCode.FAILED_PRECONDITION and reason(cluster, reused.value) == "PICKUP_CODE_USED"

    # Orders closes the order as a return visit does (actual = ordered)...
    orders = cluster.stubs.orders
    visited = eventually("the collected order is visited", lambda: (lambda order: order if order.state == orders.ORDER_STATE_VISITED else None)(
        world.orders.GetOrder(orders.GetOrderRequest(order_id=order_id), metadata=world.admin, timeout=T).order))
    assert [(l.sku_id, l.actual_quantity) for l in visited.lines] == [("bj-500", 2)]
    assert visited.actual_total_fen == 2 * PRICE["bj-500"]
    # ... and settlements books the leader's commission under cq's rule (3% of actual sales) on
    # the collected order only: one reward line, for this order, in the leader's earnings.
    reward = round(2 * PRICE["bj-500"] * 0.03)
    lines = eventually("the leader's reward line", lambda: cluster.query(
        "settlements", "SELECT order_id, amount_fen FROM reward_lines WHERE payee_account_id = :'p1' AND kind = 'reward'",
        world.id("referrer")), timeout_s=90)
    assert [(row[0], int(row[1])) for row in lines] == [(order_id, reward)]
    s = cluster.stubs.settlements_grpc.SettlementServiceStub(cluster.gateway_channel())
    earnings = s.GetMyEarnings(cluster.stubs.settlements.GetMyEarningsRequest(), metadata=world.who("referrer"), timeout=T)
    assert earnings.pending_fen == reward
    # The week closed early (as a drill would): the leader's statement with the dealer holds the line.
    spb = cluster.stubs.settlements
    year, week_no, _ = datetime.now(ZoneInfo("Asia/Shanghai")).isocalendar()
    week = f"{year}-W{week_no:02d}"
    s.CloseWeek(spb.CloseWeekRequest(week=week, before_end=True), metadata=world.who("cq_manager"), timeout=T)
    statements = s.ListStatements(spb.ListStatementsRequest(week=week, payee_account_id=world.id("referrer")),
                                  metadata=world.who("cq_manager"), timeout=T).statements
    assert [(st.dealer_account_id, st.total_fen) for st in statements] == [(world.id("cq_dealer"), reward)]
    statement = s.GetStatement(spb.GetStatementRequest(statement_id=statements[0].statement_id), metadata=world.who("cq_manager"),
                               timeout=T).statement
    assert [(line.order_id, line.amount_fen) for line in statement.lines] == [(order_id, reward)]
