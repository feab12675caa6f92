"""Issue 5's "done means", end to end: grpcio through xsc-gateway to xsc-orders on real PostgreSQL,
with real logins and partner API keys (orders_world.py builds the organisation through the
gateway). Notifications, customers and settlements are not running: their SMS requests and
events wait in orders' outbox, read here with psql. Covers the drill's first part, every illegal
transition, the visibility matrix, idempotency, an SLA breach with its escalation and a late
acknowledgement; the partner feed and the reports are in test_orders_gateway_feed.py."""
from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor

import grpc
import pytest

from cluster_support import Cluster, eventually
from orders_world import GUIDED, REGION_PRICES, SLA_SECONDS, T, World

SEND = "/xsc.notifications.v1.NotificationService/Send"
SETTLEMENTS = "/xsc.settlements.v1.SettlementService/"
CUSTOMERS = "/xsc.customers.v1.CustomerService/"


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    with Cluster.started(tmp_path_factory.mktemp("orders-e2e"), services=("gateway", "orders")) as cluster:
        yield World(cluster).build()
        cluster.assert_all_running()


def test_drill_mall_and_alliance_orders_from_submission_to_return_visit(world):
    pb = world.pb.orders
    mall = world.submit("tmall", world.order_request("mall", "cq-o1-d3", external_id="TM-DRILL-1"))
    assert (mall.state, mall.partner_id, mall.credited_team_path) == (pb.ORDER_STATE_RECEIVED, "tmall", ""), "partners see no team"
    credited = world.orders.GetOrder(pb.GetOrderRequest(order_id=mall.id), metadata=world.admin, timeout=T).order.credited_team_path
    assert credited == "/hq/cq/cq-o1/cq-o1-d3/t7"
    assert mall.total_fen == 3 * GUIDED["bj-500"] + GUIDED["bj-250"], "mall orders at HQ's guided maximum"
    world.to_delivered(mall.id)
    visited = world.visit(mall.id, "cq_lead", {"bj-500": 2, "bj-250": 1}, text="很好")
    assert visited.state == pb.ORDER_STATE_VISITED
    assert visited.actual_total_fen == 2 * GUIDED["bj-500"] + GUIDED["bj-250"]

    referrer = world.id("referrer")
    alliance = world.submit("alliance-site", world.order_request("alliance", "cq-o1-d3", external_id="AL-DRILL-1", referrer=referrer))
    assert alliance.total_fen == 3 * REGION_PRICES["cq"]["bj-500"] + REGION_PRICES["cq"]["bj-250"], "the region's list"
    world.step("Acknowledge", "cq_lead", order_id=alliance.id)
    world.assign(alliance.id, "cq_lead", "cq_dlead", dealer=False)
    world.step("Acknowledge", "cq_dlead", order_id=alliance.id)
    world.assign(alliance.id, "cq_dlead", "cq_dealer")
    world.step("Accept", "cq_dealer", order_id=alliance.id)
    world.step("MarkDelivered", "cq_dealer", order_id=alliance.id)
    # The region's customer service (a "staff" account) does this return visit.
    visited = world.visit(alliance.id, "cq_cs", {"bj-500": 3, "bj-250": 2}, score=4)
    assert visited.actual_total_fen == 3 * REGION_PRICES["cq"]["bj-500"] + 2 * REGION_PRICES["cq"]["bj-250"]

    assert [e.kind for e in world.events(mall.id)] == ["submitted", "acknowledged", "assigned", "accepted", "delivered", "visited"]
    kinds = [(e.kind, e.actor_account_id) for e in world.events(alliance.id)]
    assert kinds == [("submitted", "alliance-site"), ("acknowledged", world.id("cq_lead")), ("assigned", world.id("cq_lead")),
                     ("acknowledged", world.id("cq_dlead")), ("assigned", world.id("cq_dlead")),
                     ("accepted", world.id("cq_dealer")), ("delivered", world.id("cq_dealer")), ("visited", world.id("cq_cs"))]

    # The SMS requests wait in the outbox (notifications is not running), nothing failed.
    mall_sms = world.sms(mall.id)
    assert [(r.template, r.account_id) for _, r in mall_sms] == [
        ("order_new_lead", world.id("cq_lead")), ("order_forwarded", world.id("cq_dealer")), ("customer_order_confirmed", ""),
        ("order_visit_due", world.id("cq_lead"))]
    assert mall_sms[2][1].phone == "13800138000"
    assert mall_sms[0][1].category == world.pb.notifications.CATEGORY_STAFF_SLA
    assert mall_sms[0][1].subject.short_code == mall.code and mall_sms[0][1].region_code == "cq"
    alliance_sms = world.sms(alliance.id)
    assert [(r.template, r.account_id) for _, r in alliance_sms] == [
        ("order_new_lead", world.id("cq_lead")), ("order_forwarded", world.id("cq_dlead")),
        ("order_forwarded", world.id("cq_dealer")), ("customer_order_confirmed", ""), ("order_visit_due", world.id("cq_lead"))]
    assert {state for state, _ in mall_sms + alliance_sms} == {"pending"}

    # ... and so do the events for settlements and customers.
    visits = [m for _, state, m in world.outbox(SETTLEMENTS + "RecordOrderVisited", world.pb.orders_events.OrderVisited)
              if m.order_id in (mall.id, alliance.id)]
    assert [(v.order_id, v.actual_fen, v.dealer_account_id) for v in visits] == [
        (mall.id, mall.total_fen - GUIDED["bj-500"], world.id("cq_dealer")), (alliance.id, visited.actual_total_fen, world.id("cq_dealer"))]
    assert visits[1].referrer_account_id == referrer
    seen = [m.order_id for _, _, m in world.outbox(CUSTOMERS + "RecordCustomerSeen", world.pb.orders_events.CustomerSeen)]
    assert {mall.id, alliance.id} <= set(seen)
    referrals = [(m.order_id, m.referrer_account_id) for _, _, m in world.outbox(CUSTOMERS + "RecordReferrerSeen",
                                                                                   world.pb.orders_events.ReferrerSeen)]
    assert (alliance.id, referrer) in referrals
    waiting = world.cluster.query("orders", "SELECT destination, count(*) FROM xsc_outbox WHERE state = 'dead' GROUP BY 1")
    assert waiting == [], "a peer that is not there delays events, it never kills them"


# Where each action may start (the state machine); every other state is FAILED_PRECONDITION.
ALLOWED = {
    "Acknowledge": {"received", "assigned_to_district_lead"},
    "Assign": {"acknowledged"},
    "Accept": {"assigned_to_dealer"},
    "MarkDelivered": {"accepted"},
    "RecordReturnVisit": {"delivered"},
    "Cancel": {"received", "acknowledged", "assigned_to_dealer", "assigned_to_district_lead", "accepted"},
    "Refund": {"visited"},
}


def order_in(world, state: str):
    order = world.submit("cq_lead", world.order_request("phone", "cq-o1-d3"))
    if state == "received":
        return order
    if state == "cancelled":
        return world.step("Cancel", "cq_lead", order_id=order.id, reason="test")
    world.step("Acknowledge", "cq_lead", order_id=order.id)
    if state == "acknowledged":
        return order
    if state == "assigned_to_district_lead":
        return world.assign(order.id, "cq_lead", "cq_dlead", dealer=False)
    world.assign(order.id, "cq_lead", "cq_dealer")
    if state == "assigned_to_dealer":
        return order
    world.step("Accept", "cq_dealer", order_id=order.id)
    if state == "accepted":
        return order
    world.step("MarkDelivered", "cq_dealer", order_id=order.id)
    if state == "delivered":
        return order
    world.visit(order.id, "cq_lead", {"bj-500": 3, "bj-250": 1})
    if state == "visited":
        return order
    return world.step("Refund", "cq_cs", order_id=order.id, reason="test")


def test_every_illegal_transition_is_failed_precondition(world):
    states = ["received", "acknowledged", "assigned_to_district_lead", "assigned_to_dealer", "accepted", "delivered",
              "visited", "cancelled", "refunded"]
    orders = {state: order_in(world, state).id for state in states}
    pb = world.pb.orders
    fields = {
        "Acknowledge": {}, "Accept": {}, "MarkDelivered": {}, "Cancel": {"reason": "x"}, "Refund": {"reason": "x"},
        "Assign": {"assignee_account_id": world.id("cq_dealer"), "assignee_kind": pb.ASSIGNEE_KIND_DEALER},
        "RecordReturnVisit": {"lines": [pb.ActualLine(sku_id="bj-500", actual_quantity=1), pb.ActualLine(sku_id="bj-250")],
                              "evaluation_score": 3},
    }
    tried = 0
    for action, allowed in ALLOWED.items():
        for state in states:
            if state in allowed:
                continue
            # HQ sees every order, so visibility never hides the state machine's answer.
            request = getattr(pb, action + "Request")(order_id=orders[state], **fields[action])
            with pytest.raises(grpc.RpcError) as refused:
                getattr(world.orders, action)(request, metadata=world.admin, timeout=T)
            assert refused.value.code() == grpc.StatusCode.FAILED_PRECONDITION, (action, state, refused.value.details())
            info = [d for d in world.pb.error_details(refused.value) if d.DESCRIPTOR.name == "ErrorInfo"]
            assert [i.reason for i in info] == ["ILLEGAL_TRANSITION"], (action, state)
            tried += 1
    assert tried == 9 * 7 - sum(len(allowed) for allowed in ALLOWED.values())


def test_visibility_matrix(world):
    a = world.submit("tmall", world.order_request("mall", "cq-o1-d3", external_id="TM-VIS-A"))
    world.step("Acknowledge", "cq_lead", order_id=a.id)
    world.assign(a.id, "cq_lead", "cq_dealer")
    b = world.submit("jd", world.order_request("mall", "sc-o2-d1", external_id="JD-VIS-B"))
    c = world.submit("cq_lead", world.order_request("alliance", "cq-o1-d3", referrer=world.id("referrer")))
    d = world.submit("sc_lead", world.order_request("phone", "sc-o2-d1"))
    ids = {"A": a.id, "B": b.id, "C": c.id, "D": d.id}
    # What each caller sees: "full", "limited" (the referrer: no customer, no people), or nothing.
    matrix = {
        "admin": {"A": "full", "B": "full", "C": "full", "D": "full"},
        "cq_lead": {"A": "full", "C": "full"},
        "sc_lead": {"B": "full", "D": "full"},
        "cq_dealer": {"A": "full"},
        "referrer": {"C": "limited"},
        "cq_team_admin": {"A": "full", "C": "full"},  # its team's orders, though it may not work them
        "tmall": {"A": "full"},
        "jd": {"B": "full"},
    }
    pb = world.pb.orders
    for who, visible in matrix.items():
        metadata = world.admin if who == "admin" else world.who(who)
        for name, order_id in ids.items():
            if name in visible:
                order = world.orders.GetOrder(pb.GetOrderRequest(order_id=order_id), metadata=metadata, timeout=T).order
                assert order.HasField("customer") == (visible[name] == "full"), (who, name)
            else:
                with pytest.raises(grpc.RpcError) as hidden:
                    world.orders.GetOrder(pb.GetOrderRequest(order_id=order_id), metadata=metadata, timeout=T)
                assert hidden.value.code() == grpc.StatusCode.NOT_FOUND, (who, name)
        listed = world.orders.ListOrders(pb.ListOrdersRequest(page=world.pb.common.PageRequest(page_size=100)),
                                         metadata=metadata, timeout=T).orders
        assert {o.id for o in listed} & set(ids.values()) == {ids[name] for name in visible}, who
    # A missing id answers exactly like a hidden one.
    nowhere = str(uuid.uuid4())
    with pytest.raises(grpc.RpcError) as missing:
        world.orders.GetOrder(pb.GetOrderRequest(order_id=nowhere), metadata=world.who("jd"), timeout=T)
    with pytest.raises(grpc.RpcError) as hidden:
        world.orders.GetOrder(pb.GetOrderRequest(order_id=a.id), metadata=world.who("jd"), timeout=T)
    assert missing.value.code() == hidden.value.code() == grpc.StatusCode.NOT_FOUND
    assert missing.value.details().replace(nowhere, "?") == hidden.value.details().replace(a.id, "?")


def test_idempotency_same_key_same_answer_changed_body_refused_and_fifty_concurrent_make_one_row(world):
    key = "idem-" + uuid.uuid4().hex
    request = world.order_request("phone", "cq-o1-d3", phone="13900000001")
    first = world.submit("cq_lead", request, key=key)
    again = world.submit("cq_lead", request, key=key)
    assert again == first
    changed = world.order_request("phone", "cq-o1-d3", phone="13900000001", quantities=(4, 1))
    with pytest.raises(grpc.RpcError) as reused:
        world.submit("cq_lead", changed, key=key)
    assert reused.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    partner_order = world.order_request("mall", "cq-o1-d3", external_id="TM-IDEM-1")
    assert world.submit("tmall", partner_order).id == world.submit("tmall", partner_order).id, "same (source, partner, external id)"
    with pytest.raises(grpc.RpcError) as other_order:
        world.submit("tmall", world.order_request("mall", "cq-o1-d3", external_id="TM-IDEM-1", quantities=(1, 0)))
    assert other_order.value.code() == grpc.StatusCode.ALREADY_EXISTS, "the external id named another order"

    def submit_mall(_):
        return world.orders.SubmitOrder(world.order_request("mall", "cq-o1-d3", external_id="TM-RACE-50"),
                                        metadata=world.who("tmall"), timeout=T)

    def submit_keyed(_):
        return world.submit("cq_lead", world.order_request("self", "cq-o1-d3", phone="13900000050"), key=key + "-race")

    with ThreadPoolExecutor(max_workers=50) as pool:
        answers = list(pool.map(submit_mall, range(50)))
        keyed = list(pool.map(submit_keyed, range(50)))
    assert len({a.order.id for a in answers}) == 1 and sum(not a.existing for a in answers) == 1
    assert len({o.id for o in keyed}) == 1
    rows = world.cluster.query("orders", "SELECT count(*) FROM orders WHERE external_id = 'TM-RACE-50'")
    keyed_rows = world.cluster.query("orders", "SELECT count(*) FROM orders WHERE customer_phone = '13900000050'")
    assert rows == [["1"]] and keyed_rows == [["1"]]


def test_sla_breach_escalates_records_a_violation_and_a_late_acknowledgement_still_works(world):
    order = world.submit("tmall", world.order_request("mall", "cq-o1-d4", external_id="TM-SLA-1"))
    # A liveness bound, not a threshold: the timer fires SLA_SECONDS after submission.
    eventually("the acknowledgement deadline passed", lambda: any(e.kind == "sla_violation" for e in world.events(order.id)),
               timeout_s=SLA_SECONDS + 60)
    escalations = [r for _, r in world.sms(order.id) if r.template == "sla_escalation"]
    assert [(r.account_id, r.params["assignee"]) for r in escalations[:1]] == [(world.id("cq_cs"), world.id("cq_lead"))]
    assert escalations[0].params["stage"] == "确认接单" and int(escalations[0].params["minutes"]) >= 1
    violations = [m for _, _, m in world.outbox(SETTLEMENTS + "RecordViolation", world.pb.orders_events.SlaViolation)
                  if m.order_id == order.id]
    first = violations[0]
    assert first.step == world.pb.orders_events.SLA_STEP_ACKNOWLEDGE
    assert list(first.responsible_account_ids) == [world.id("cq_lead")] and list(first.escalated_to_account_ids) == [world.id("cq_cs")]
    assert first.late_ms >= 0 and first.due_at_ms == order.created_at_ms + SLA_SECONDS * 1000
    recorded = world.cluster.query("orders", "SELECT step, responsible_account_ids FROM sla_violations WHERE order_id = :'p1' ORDER BY id",
                                   order.id)
    assert recorded[0] == ["order.ack_deadline", world.id("cq_lead")]

    late = world.step("Acknowledge", "cq_lead", order_id=order.id)
    assert late.state == world.pb.orders.ORDER_STATE_ACKNOWLEDGED
    kinds = [e.kind for e in world.events(order.id)]
    assert kinds[:3] == ["submitted", "sla_violation", "acknowledged"]
