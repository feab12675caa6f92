"""The drill's SMS path end to end (issue 6): gateway + orders + notifications as real processes on
a fresh PostgreSQL (cluster_support), organisation, catalog and routing seeded by `xsc seed-drill`.
A partner submits a mall order through the gateway; the office lead's prompt appears in the
development SMS file; the SMS provider, with its own gateway key, reports the lead's reply `1`;
the lead sees the order acknowledged by itself within the SLA and orders records no miss. With
orders down at the time of the reply, the acknowledgement waits in notifications' outbox and
counts from the reply's own time once orders is back; if orders stays down past the deadline,
its timer records a miss when it comes back, and the in-time reply withdraws it. Also the plumbing under it: the gateway's
directory feed (contacts, disable, backfill) and the provider key's least privilege.

Needs DATABASE_URL (a superuser URL; `make test` provides one). Waits are polls under one
generous liveness bound, never timing assertions."""
from __future__ import annotations

import re
import time
import uuid

import grpc
import pytest

from cluster_support import Cluster, eventually

OFFICE_LEAD = "13900000003"
SKU = "drill-baijiu-500ml"
GUIDED_PRICE_FEN = 52_800  # mall orders show the HQ guided maximum (seed-drill's price)
SLA_MS = 300_000  # the drill routing keeps the five-minute rule
SHORT_SLA_S = 5  # for one order whose acknowledgement deadline must pass while orders is down
SETTLEMENTS = "/xsc.settlements.v1.SettlementService/"
T = 30  # per-call liveness bound


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    with Cluster.started(tmp_path_factory.mktemp("drill")) as running:
        yield running
        running.assert_all_running()


def key_from(seed_output: str, label: str) -> list[tuple[str, str]]:
    found = re.search(rf"^{label} for \S+ \(channel \w+\), shown once: (xsc_pk_\w+)$", seed_output, re.MULTILINE)
    assert found, f"no {label} in:\n{seed_output}"
    return [("authorization", "Bearer " + found.group(1))]


@pytest.fixture(scope="module")
def drill(cluster):
    """The seeded drill: the partner's key, the SMS provider's key, account ids by phone."""
    seeded = cluster.seed_drill()
    again = cluster.seed_drill()
    assert "shown once" not in again, "a second run makes no second key"
    return {"partner": key_from(seeded, "partner key"), "provider": key_from(seeded, "sms provider key"),
            "ids": cluster.account_ids(), "seeded": seeded}


def submit_mall_order(cluster, partner_key):
    pb = cluster.stubs.orders
    orders = cluster.stubs.orders_grpc.OrderServiceStub(cluster.gateway_channel())
    request = pb.SubmitOrderRequest(
        source=pb.SOURCE_MALL, external_id="tmall-" + uuid.uuid4().hex[:10],
        customer=pb.Customer(name="顾客 周", phone="13700000001", address="重庆市渝中区解放碑 1 号"),
        delivery_district_id="cq-o1-d3", lines=[pb.OrderLine(sku_id=SKU, quantity=2, unit_price_fen=GUIDED_PRICE_FEN)])
    return orders.SubmitOrder(request, metadata=partner_key, timeout=T).order


def prompt_for(cluster, order):
    """The office lead's SMS naming the order's code, from the development provider's file."""
    return eventually(f"the office lead's SMS for order {order.code}", lambda: next(
        (line for line in cluster.sms_lines() if line["to"] == OFFICE_LEAD and order.code in line["text"]), None))


def provider_reply(cluster, provider_key, text, received_at_ms):
    pb = cluster.stubs.notifications
    service = cluster.stubs.notifications_grpc.NotificationServiceStub(cluster.gateway_channel())
    request = pb.ReceiveInboundRequest(from_phone=OFFICE_LEAD, text=text, received_at_ms=received_at_ms,
                                       provider_message_id="dev-in-" + uuid.uuid4().hex)
    return service.ReceiveInbound(request, metadata=provider_key, timeout=T)


def acknowledged(cluster, order_id):
    """The order as the office lead sees it through the gateway, once acknowledged."""
    orders = cluster.stubs.orders_grpc.OrderServiceStub(cluster.gateway_channel())
    ACK = cluster.stubs.orders.ORDER_STATE_ACKNOWLEDGED

    def probe():
        try:
            order = orders.GetOrder(cluster.stubs.orders.GetOrderRequest(order_id=order_id),
                                    metadata=cluster.session(OFFICE_LEAD), timeout=T).order
        except grpc.RpcError as error:  # orders restarting: the gateway answers UNAVAILABLE meanwhile
            assert error.code() == grpc.StatusCode.UNAVAILABLE, error
            return None
        return order if order.state == ACK else None
    return eventually(f"order {order_id} acknowledged", probe)


def events_of(cluster, order_id):
    orders = cluster.stubs.orders_grpc.OrderServiceStub(cluster.gateway_channel())
    request = cluster.stubs.orders.ListOrderEventsRequest(order_id=order_id)
    return {event.kind: event for event in
            orders.ListOrderEvents(request, metadata=cluster.session(OFFICE_LEAD), timeout=T).events}


def assert_no_sla_miss(cluster, since_ms, lead_id):
    orders = cluster.stubs.orders_grpc.OrderServiceStub(cluster.gateway_channel())
    report = orders.SlaCompliance(cluster.stubs.orders.ReportRequest(from_ms=since_ms, to_ms=int(time.time() * 1000) + 60_000),
                                  metadata=cluster.admin(), timeout=T)
    missed = [(row.account_id, row.misses) for row in report.rows if row.misses]
    assert missed == [], report
    lead = [row for row in report.rows if row.account_id == lead_id]
    assert lead and lead[0].acknowledgements >= 1 and lead[0].misses == 0, report


def test_the_directory_feed_gives_notifications_every_seeded_phone(cluster, drill):
    ids = drill["ids"]

    def known():
        rows = cluster.query("notifications", "SELECT account_id, phone, enabled FROM contacts")
        return {phone: (account, enabled) for account, phone, enabled in rows} if len(rows) >= len(ids) else None
    contacts = eventually("every account's contact reached notifications", known)
    for phone, account in ids.items():
        assert contacts[phone] == (account, "t"), phone


def test_the_lead_acknowledges_by_replying_1_within_the_sla(cluster, drill):
    started_ms = int(time.time() * 1000)
    order = submit_mall_order(cluster, drill["partner"])
    assert order.state == cluster.stubs.orders.ORDER_STATE_RECEIVED
    prompt = prompt_for(cluster, order)
    assert "回复1" in prompt["text"]

    pb = cluster.stubs.notifications
    reply_ms = int(time.time() * 1000)
    answer = provider_reply(cluster, drill["provider"], "1", reply_ms)
    assert answer.outcome == pb.ReceiveInboundResponse.OUTCOME_ACKNOWLEDGEMENT_QUEUED
    assert answer.order_id == order.id

    lead_id = drill["ids"][OFFICE_LEAD]
    done = acknowledged(cluster, order.id)
    assert done.acknowledged_by == lead_id
    events = events_of(cluster, order.id)
    assert events["acknowledged"].actor_account_id == lead_id
    assert events["acknowledged"].at_ms - events["submitted"].at_ms < SLA_MS
    assert_no_sla_miss(cluster, started_ms - 1000, lead_id)

    # The provider's delivery receipt for the prompt, through the gateway with the same key.
    service = cluster.stubs.notifications_grpc.NotificationServiceStub(cluster.gateway_channel())
    receipt = service.ReportDelivery(pb.ReportDeliveryRequest(provider_message_id=prompt["provider_id"],
                                                              status=pb.DELIVERY_STATUS_DELIVERED),
                                     metadata=drill["provider"], timeout=T)
    assert receipt.message.state == pb.MESSAGE_STATE_DELIVERED
    assert receipt.message.recipient_account_id == lead_id


def test_a_reply_while_orders_is_down_counts_from_when_the_lead_replied(cluster, drill):
    started_ms = int(time.time() * 1000)
    order = submit_mall_order(cluster, drill["partner"])
    prompt_for(cluster, order)

    cluster.stop_service("orders")
    try:
        reply_ms = int(time.time() * 1000)
        answer = provider_reply(cluster, drill["provider"], "1", reply_ms)
        pb = cluster.stubs.notifications
        assert answer.outcome == pb.ReceiveInboundResponse.OUTCOME_ACKNOWLEDGEMENT_QUEUED
        assert answer.order_id == order.id
        # Notifications tried orders, failed, and keeps the acknowledgement for later.
        eventually("the acknowledgement waits in notifications' outbox after a failed attempt", lambda: cluster.query(
            "notifications", "SELECT 1 FROM xsc_outbox WHERE method_path = '/xsc.orders.v1.OrderService/AcknowledgeBySms'"
            " AND state = 'pending' AND attempts >= 1"))
    finally:
        cluster.start_service("orders")

    lead_id = drill["ids"][OFFICE_LEAD]
    done = acknowledged(cluster, order.id)
    assert done.acknowledged_by == lead_id
    event = events_of(cluster, order.id)["acknowledged"]
    assert event.actor_account_id == lead_id
    assert event.at_ms == reply_ms, "the acknowledgement counts at the reply's own time, not at its late arrival"
    assert_no_sla_miss(cluster, started_ms - 1000, lead_id)


def set_drill_sla(cluster, drill, sla_seconds):
    """The drill district's routing as `xsc seed-drill` sets it, with another SLA (0: five
    minutes). Running deadline timers keep the due time they were scheduled with."""
    ids = drill["ids"]
    pb = cluster.stubs.orders
    routing = pb.DistrictRouting(
        district_id="cq-o1-d3", region_id="cq", office_id="cq-o1", credited_team_path="/hq/cq/cq-o1/cq-o1-d3/t7",
        office_lead_account_ids=[ids[OFFICE_LEAD]], district_lead_account_ids=[ids["13900000004"]],
        dealer_account_ids=[ids["13900000005"]], escalation_account_ids=[ids["13900000002"], ids["13900000001"]],
        sla_seconds=sla_seconds)
    orders = cluster.stubs.orders_grpc.OrderServiceStub(cluster.gateway_channel())
    orders.SetDistrictRouting(pb.SetDistrictRoutingRequest(routing=routing), metadata=cluster.admin(), timeout=T)


def settlements_events(cluster, method, message_type, order_id):
    """(event id, payload) of the events orders queued for settlements' `method` about an order
    (settlements is not running: they wait in orders' outbox)."""
    rows = cluster.query("orders", "SELECT event_id, encode(payload, 'hex') FROM xsc_outbox WHERE method_path = :'p1' ORDER BY id",
                         SETTLEMENTS + method)
    decoded = [(event_id, message_type.FromString(bytes.fromhex(payload))) for event_id, payload in rows]
    return [(event_id, message) for event_id, message in decoded if message.order_id == order_id]


def sla_row(cluster, since_ms, lead_id):
    orders = cluster.stubs.orders_grpc.OrderServiceStub(cluster.gateway_channel())
    report = orders.SlaCompliance(cluster.stubs.orders.ReportRequest(from_ms=since_ms, to_ms=int(time.time() * 1000) + 60_000),
                                  metadata=cluster.admin(), timeout=T)
    return next((row for row in report.rows if row.account_id == lead_id), None)


def test_an_in_time_reply_held_up_past_the_sla_withdraws_the_miss_recorded_meanwhile(cluster, drill):
    """Orders is down longer than the SLA while the lead's in-time reply waits in notifications'
    outbox. Notifications is stopped as well until orders, back up, has recorded the miss (the
    order of events that used to leave the lead with a miss); then the reply arrives, counts at
    its own time and withdraws the miss: no miss in SlaCompliance, one withdrawal for settlements."""
    lead_id = drill["ids"][OFFICE_LEAD]
    set_drill_sla(cluster, drill, SHORT_SLA_S)
    try:
        order = submit_mall_order(cluster, drill["partner"])
    finally:
        # Only this order's acknowledgement deadline is short; its forwarding deadline, which
        # starts when the acknowledgement reaches orders, is five minutes again.
        set_drill_sla(cluster, drill, 0)
    due_ms = order.created_at_ms + SHORT_SLA_S * 1000
    prompt_for(cluster, order)
    pb = cluster.stubs.notifications

    cluster.stop_service("orders")
    try:
        # The provider received the reply a second after the order, within the SLA, whatever the
        # load on this machine (the provider's own time is what counts).
        reply_ms = order.created_at_ms + 1000
        answer = provider_reply(cluster, drill["provider"], "1", reply_ms)
        assert answer.outcome == pb.ReceiveInboundResponse.OUTCOME_ACKNOWLEDGEMENT_QUEUED
        assert answer.order_id == order.id
        eventually("the acknowledgement waits in notifications' outbox after a failed attempt", lambda: cluster.query(
            "notifications", "SELECT 1 FROM xsc_outbox WHERE method_path = '/xsc.orders.v1.OrderService/AcknowledgeBySms'"
            " AND state = 'pending' AND attempts >= 1"))
        cluster.stop_service("notifications")
        try:
            eventually("the acknowledgement deadline passed while orders was down", lambda: time.time() * 1000 > due_ms)
        finally:
            cluster.start_service("orders")
        try:
            eventually("orders, back up, records the miss before the reply arrives",
                       lambda: "sla_violation" in events_of(cluster, order.id))
            missed = sla_row(cluster, order.created_at_ms, lead_id)
            assert missed is not None and missed.misses == 1, missed
        finally:
            cluster.start_service("notifications")
    finally:
        if "orders" not in cluster.processes:
            cluster.start_service("orders")

    done = acknowledged(cluster, order.id)
    assert done.acknowledged_by == lead_id
    events = events_of(cluster, order.id)
    assert events["acknowledged"].at_ms == reply_ms, "counted at the reply's own time"
    assert "sla_violation_withdrawn" in events, events
    assert_no_sla_miss(cluster, order.created_at_ms, lead_id)
    row = sla_row(cluster, order.created_at_ms, lead_id)
    assert row.withdrawn_misses == 1, row

    events_pb = cluster.stubs.orders_events
    violations = settlements_events(cluster, "RecordViolation", events_pb.SlaViolation, order.id)
    withdrawals = settlements_events(cluster, "RecordViolationWithdrawn", events_pb.SlaViolationWithdrawn, order.id)
    assert len(violations) == 1 and len(withdrawals) == 1, (violations, withdrawals)
    withdrawal = withdrawals[0][1]
    assert withdrawal.violation_event_id == violations[0][0]
    assert withdrawal.reason == events_pb.SLA_WITHDRAWAL_REASON_DONE_IN_TIME
    assert (withdrawal.done_at_ms, withdrawal.due_at_ms, withdrawal.done_by_account_id) == (reply_ms, due_ms, lead_id)
    assert list(withdrawal.responsible_account_ids) == [lead_id]


def test_the_provider_key_reaches_only_the_provider_callbacks(cluster, drill):
    pb = cluster.stubs
    provider = drill["provider"]
    notifications = pb.notifications_grpc.NotificationServiceStub(cluster.gateway_channel())
    orders = pb.orders_grpc.OrderServiceStub(cluster.gateway_channel())
    calls = {
        "Send": lambda: notifications.Send(pb.notifications.SendRequest(
            phone=OFFICE_LEAD, template="team_notice", params={"title": "x"}, category=pb.notifications.CATEGORY_STAFF_SLA,
            region_code="cq", idempotency_key="evil-" + uuid.uuid4().hex), metadata=provider, timeout=T),
        "SetContact": lambda: notifications.SetContact(pb.notifications.SetContactRequest(
            account_id="x", phone=OFFICE_LEAD, enabled=True, version=1 << 60), metadata=provider, timeout=T),
        "ListInbox": lambda: notifications.ListInbox(pb.notifications.ListInboxRequest(), metadata=provider, timeout=T),
        "SubmitOrder": lambda: orders.SubmitOrder(pb.orders.SubmitOrderRequest(), metadata=provider, timeout=T),
        "ListOrders": lambda: orders.ListOrders(pb.orders.ListOrdersRequest(), metadata=provider, timeout=T),
    }
    for name, call in calls.items():
        with pytest.raises(grpc.RpcError) as refused:
            call()
        assert refused.value.code() == grpc.StatusCode.PERMISSION_DENIED, name
    # And the order partner's key is no provider.
    with pytest.raises(grpc.RpcError) as refused:
        provider_reply(cluster, drill["partner"], "1", int(time.time() * 1000))
    assert refused.value.code() == grpc.StatusCode.PERMISSION_DENIED


def test_a_disabled_account_replies_to_nothing_until_enabled_and_a_new_phone_follows(cluster, drill):
    pb = cluster.stubs
    salesperson = "13900000007"
    account_id = drill["ids"][salesperson]
    accounts = pb.gateway_grpc.AccountServiceStub(cluster.gateway_channel())
    accounts.DisableAccount(pb.gateway.DisableAccountRequest(account_id=account_id), metadata=cluster.admin(), timeout=T)
    eventually("notifications learns the account is disabled", lambda: cluster.query(
        "notifications", "SELECT 1 FROM contacts WHERE account_id = :'p1' AND NOT enabled", account_id))
    service = pb.notifications_grpc.NotificationServiceStub(cluster.gateway_channel())
    answer = service.ReceiveInbound(pb.notifications.ReceiveInboundRequest(
        from_phone=salesperson, text="1", provider_message_id="dev-in-" + uuid.uuid4().hex),
        metadata=drill["provider"], timeout=T)
    assert answer.outcome == pb.notifications.ReceiveInboundResponse.OUTCOME_NOTHING_TO_ACKNOWLEDGE

    accounts.EnableAccount(pb.gateway.EnableAccountRequest(account_id=account_id), metadata=cluster.admin(), timeout=T)
    accounts.ChangeAccountPhone(pb.gateway.ChangeAccountPhoneRequest(account_id=account_id, phone="13900000077"),
                                metadata=cluster.admin(), timeout=T)
    eventually("notifications follows the enable and the new phone", lambda: cluster.query(
        "notifications", "SELECT 1 FROM contacts WHERE account_id = :'p1' AND enabled AND phone = '13900000077'", account_id))


def test_accounts_from_before_the_feed_are_backfilled_at_gateway_start(cluster, drill):
    """An account the feed never published (as every account of an older gateway schema) reaches
    notifications when the gateway starts."""
    intermediary = "13900000008"
    account_id = drill["ids"][intermediary]
    before = cluster.query("notifications", "SELECT version FROM contacts WHERE account_id = :'p1'", account_id)
    cluster.stop_service("gateway")
    try:
        cluster.query("gateway", "UPDATE accounts SET contact_version = nextval('contact_versions'), contact_published = 0"
                                 " WHERE id = :'p1' RETURNING id", account_id)
    finally:
        cluster.start_service("gateway")
    newer = eventually("the backfilled entry reached notifications", lambda: [
        row for row in cluster.query("notifications", "SELECT version FROM contacts WHERE account_id = :'p1'", account_id)
        if not before or int(row[0]) > int(before[0][0])])
    assert newer
