"""One phone-number rule in every service (DomainKit.MainlandPhone): the spellings that three
diverging copies once disagreed on (`0086 …` refused by notifications, `(138)…` accepted only by
the gateway, a full-width space trimmed only by orders, full-width digits refused everywhere but
nowhere said) are accepted alike, over the wire, by the gateway (an account's phone and its
login), orders (a customer's phone) and notifications (an SMS reply's sender), and stored as the
same 11 digits; junk is refused alike with INVALID_ARGUMENT naming the field."""
from __future__ import annotations

import time
import uuid

import grpc
import pytest

from cluster_support import Cluster, eventually
from test_drill import GUIDED_PRICE_FEN, SKU, key_from

T = 30
SPELLINGS = [
    ("0086 138 1234 {}", "1381234{}"),
    ("(138)1234-{}", "1381234{}"),
    ("\u3000138 1234 {}\u3000", "1381234{}"),
    ("+86-138-1234-{}", "1381234{}"),
]
FULL_WIDTH = "１３８１２３４"  # + four more digits, full width
JUNK = ["12345", "138 1234 567", "+1 415 555 0100", "138\u200b12345678", "13812345678; DROP TABLE x"]


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    with Cluster.started(tmp_path_factory.mktemp("phones")) as running:
        yield running


@pytest.fixture(scope="module")
def keys(cluster):
    seeded = cluster.seed_drill()
    return {"partner": key_from(seeded, "partner key"), "provider": key_from(seeded, "sms provider key")}


def cases():
    """(typed, canonical) pairs, each with its own number so accounts do not collide."""
    result = []
    for index, (typed, canonical) in enumerate(SPELLINGS):
        tail = f"{index + 10:04d}"
        result.append((typed.format(tail), canonical.format(tail)))
    tail = "0099"
    result.append((FULL_WIDTH + "".join(chr(ord(d) - 0x30 + 0xFF10) for d in tail), "1381234" + tail))
    return result



@pytest.mark.parametrize("typed, canonical", cases())
def test_every_service_accepts_the_same_spelling_as_the_same_number(cluster, keys, typed, canonical):
    pb = cluster.stubs
    # Gateway: an account made with the spelling holds the canonical number and logs in with it.
    accounts = pb.gateway_grpc.AccountServiceStub(cluster.gateway_channel())
    created = accounts.CreateAccount(pb.gateway.CreateAccountRequest(
        name="号码 测试", phone=typed, role=pb.gateway.ACCOUNT_ROLE_SALESPERSON, node_path="/hq/cq/cq-o1/cq-o1-d3/t7",
        initial_password="phone-rule-password"), metadata=cluster.admin(), timeout=T)
    assert created.phone == canonical
    assert cluster.login(typed, "phone-rule-password")

    # Orders: a partner's order for a customer with the spelling stores the canonical number.
    orders = pb.orders_grpc.OrderServiceStub(cluster.gateway_channel())
    order = orders.SubmitOrder(pb.orders.SubmitOrderRequest(
        source=pb.orders.SOURCE_MALL, external_id="phone-" + uuid.uuid4().hex[:10],
        customer=pb.orders.Customer(name="顾客 号码", phone=typed, address="重庆市渝中区解放碑 1 号"),
        delivery_district_id="cq-o1-d3", lines=[pb.orders.OrderLine(sku_id=SKU, quantity=1, unit_price_fen=GUIDED_PRICE_FEN)]),
        metadata=keys["partner"], timeout=T).order
    assert cluster.query("orders", "SELECT customer_phone FROM orders WHERE id = :'p1'", order.id) == [[canonical]]

    # Notifications: once the gateway's directory feed brought the account (asynchronous), a
    # reply the SMS provider reports from the spelling comes from that same account.
    eventually("the account's contact in notifications", lambda: cluster.query(
        "notifications", "SELECT account_id FROM contacts WHERE phone = :'p1'", canonical) == [[created.id]])
    service = pb.notifications_grpc.NotificationServiceStub(cluster.gateway_channel())
    message_id = "phone-in-" + uuid.uuid4().hex
    service.ReceiveInbound(pb.notifications.ReceiveInboundRequest(
        from_phone=typed, text="你好", received_at_ms=int(time.time() * 1000), provider_message_id=message_id),
        metadata=keys["provider"], timeout=T)
    assert cluster.query("notifications", "SELECT phone, account_id FROM inbound_messages WHERE provider_message_id = :'p1'",
                         message_id) == [[canonical, created.id]]


@pytest.mark.parametrize("junk", JUNK)
def test_every_service_refuses_the_same_junk(cluster, keys, junk):
    pb = cluster.stubs
    accounts = pb.gateway_grpc.AccountServiceStub(cluster.gateway_channel())
    with pytest.raises(grpc.RpcError) as refused:
        accounts.CreateAccount(pb.gateway.CreateAccountRequest(
            name="号码 测试", phone=junk, role=pb.gateway.ACCOUNT_ROLE_SALESPERSON, node_path="/hq/cq/cq-o1/cq-o1-d3/t7",
            initial_password="phone-rule-password"), metadata=cluster.admin(), timeout=T)
    assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    orders = pb.orders_grpc.OrderServiceStub(cluster.gateway_channel())
    with pytest.raises(grpc.RpcError) as refused:
        orders.SubmitOrder(pb.orders.SubmitOrderRequest(
            source=pb.orders.SOURCE_MALL, external_id="junk-" + uuid.uuid4().hex[:10],
            customer=pb.orders.Customer(name="顾客", phone=junk, address="重庆市渝中区解放碑 1 号"),
            delivery_district_id="cq-o1-d3", lines=[pb.orders.OrderLine(sku_id=SKU, quantity=1, unit_price_fen=GUIDED_PRICE_FEN)]),
            metadata=keys["partner"], timeout=T)
    assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "customer.phone" in refused.value.details()
    service = pb.notifications_grpc.NotificationServiceStub(cluster.gateway_channel())
    with pytest.raises(grpc.RpcError) as refused:
        service.ReceiveInbound(pb.notifications.ReceiveInboundRequest(
            from_phone=junk, text="1", received_at_ms=int(time.time() * 1000), provider_message_id="junk-" + uuid.uuid4().hex),
            metadata=keys["provider"], timeout=T)
    assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "from_phone" in refused.value.details()
