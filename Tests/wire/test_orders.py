"""xsc-orders over the wire: a stock grpcio client with minted actors (`xsc mint-actor`)
straight to the real process on a fresh PostgreSQL database (the end-to-end tests through the
gateway, with real logins, are test_orders_gateway*.py). Covers the admin
set-up, a mall order from submission to return visit, idempotency, field violations in
grpc-status-details-bin, an illegal transition, visibility (NOT_FOUND), bulk submission by
client streaming, and the SMS requests waiting in the outbox while notifications is down."""
from __future__ import annotations

import base64
import functools
import importlib
import os
import sys
import uuid
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import grpc
import pytest

import wire_support
from wire_support import run_psql as psql, run_xsc as xsc

SECRET = "wire-test-actor-secret-0123456789abcdef"
DISTRICT = "cq-o1-d3"
TEAM = "/hq/cq/cq-o1/cq-o1-d3/t7"


class OrderStubs:
    """Python modules generated from proto/xsc/orders (+ common, google.rpc)."""

    def __init__(self, out: Path):
        from grpc_tools import protoc
        import grpc_tools

        src = wire_support.proto_dir()
        wanted = ["xsc/orders/v1/orders.proto", "xsc/orders/v1/conflicts.proto", "xsc/orders/v1/campaign_orders.proto", "xsc/orders/v1/board.proto", "xsc/common/v1/common.proto",
                  "google/rpc/status.proto", "google/rpc/error_details.proto"]
        well_known = Path(grpc_tools.__file__).parent / "_proto"
        status = protoc.main(["grpc_tools.protoc", f"-I{src}", f"-I{well_known}", f"--python_out={out}",
                              f"--grpc_python_out={out}", *wanted])
        assert status == 0, f"protoc failed ({status})"
        # `google` is protobuf's package: let it find google.rpc in `out` (as conftest does for grpc).
        import google
        if str(out / "google") not in google.__path__:
            google.__path__.append(str(out / "google"))
        sys.path.insert(0, str(out))
        self.orders = importlib.import_module("xsc.orders.v1.orders_pb2")
        self.grpc = importlib.import_module("xsc.orders.v1.orders_pb2_grpc")
        self.common = importlib.import_module("xsc.common.v1.common_pb2")
        self.status = importlib.import_module("google.rpc.status_pb2")
        self.details = importlib.import_module("google.rpc.error_details_pb2")


@pytest.fixture(scope="module")
def orders_service(tmp_path_factory):
    superuser = os.environ.get("DATABASE_URL")
    if not superuser:
        pytest.skip("needs DATABASE_URL (a superuser URL; `make test` provides one)")
    name = "xsc_orders_" + uuid.uuid4().hex[:12]
    created = psql(superuser, f"CREATE DATABASE {name} STRATEGY FILE_COPY")
    assert created.returncode == 0, created.stderr
    database = urlunsplit(urlsplit(superuser)._replace(path="/" + name))
    secrets = tmp_path_factory.mktemp("secrets")
    boot = xsc("db-bootstrap", "--secrets-dir", str(secrets), "orders", env={"DATABASE_URL": database})
    assert boot.returncode == 0, boot.stderr
    service_url = (secrets / "orders.database-url").read_text().strip()
    port, admin_port, nowhere = wire_support.free_port(), wire_support.free_port(), wire_support.free_port()
    env = {
        "XSC_LISTEN": f"127.0.0.1:{port}", "XSC_ADMIN_LISTEN": f"127.0.0.1:{admin_port}",
        "DATABASE_URL": service_url, "XSC_ACTOR_SECRET": SECRET,
        "XSC_MIGRATIONS_DIR": str(wire_support.REPO_ROOT / "services" / "orders" / "migrations"),
        # Notifications is not running: its SMS requests must wait in the outbox.
        "XSC_NOTIFICATIONS_ADDR": f"127.0.0.1:{nowhere}",
    }
    server = wire_support.ServerProcess("xsc-orders", [str(wire_support.binary("xsc-orders"))], port, env=env).start()
    stubs = OrderStubs(tmp_path_factory.mktemp("order-stubs"))
    with grpc.insecure_channel(server.address) as channel:
        yield server, stubs.grpc.OrderServiceStub(channel), stubs, service_url
    assert server.is_running(), f"xsc-orders died\n{server.output()}"
    server.stop()


@functools.cache
def actor(account: str, role: str, team: str = "") -> list[tuple[str, object]]:
    args = ["mint-actor", "--audience", "orders", "--account", account, "--role", role, "--plain"]
    if team:
        args += ["--team", team]
    minted = xsc(*args, env={"XSC_ACTOR_SECRET": SECRET})
    assert minted.returncode == 0, minted.stderr
    metadata = []
    for line in minted.stdout.strip().splitlines():
        key, value = line.split(": ", 1)
        metadata.append((key, base64.b64decode(value) if key.endswith("-bin") else value))
    return metadata


# The accounts of these tests (minted on first use, not at import).
def admin(): return actor("hq-admin", "admin", "/hq")
def lead(): return actor("lead-o1", "staff", "/hq/cq/cq-o1")
def other_lead(): return actor("lead-o2", "staff", "/hq/sc/sc-o2")
def dealer(): return actor("dealer-1", "staff", "/dealers/dealer-1")
def tmall(): return actor("partner-tmall", "partner")


# The people the routing names, as the gateway's directory feed would bring them (orders checks
# routing against its directory); fed here as the gateway's SYSTEM actor would.
DIRECTORY = [("lead-o1", "office_order_lead", "/hq/cq/cq-o1"), ("dealer-1", "dealer", "/hq/cq/cq-o1/cq-o1-d3"),
             ("cs-cq", "customer_service", "/hq/cq")]


def set_up_catalog(stub, pb):
    common = sys.modules["xsc.common.v1.common_pb2"]
    for version, (account, role, node) in enumerate(DIRECTORY, start=1):
        stub.SetDirectoryEntry(common.DirectoryEntry(account_id=account, name=account, domain_role=role, node_path=node,
                                                     enabled=True, version=version),
                               metadata=actor("service:gateway", "system", "/"))
    stub.UpsertSku(pb.UpsertSkuRequest(sku=pb.Sku(sku_id="bj-500", name="52度 500ml", unit="bottle", active=True)), metadata=admin())
    stub.SetRegionPrice(pb.SetRegionPriceRequest(region_id="cq", sku_id="bj-500", price_fen=12800), metadata=admin())
    stub.SetGuidedPrice(pb.SetGuidedPriceRequest(sku_id="bj-500", max_price_fen=15800), metadata=admin())
    routing = pb.DistrictRouting(district_id=DISTRICT, region_id="cq", office_id="cq-o1", credited_team_path=TEAM,
                                 office_lead_account_ids=["lead-o1"], dealer_account_ids=["dealer-1"],
                                 escalation_account_ids=["cs-cq"])
    answer = stub.SetDistrictRouting(pb.SetDistrictRoutingRequest(routing=routing), metadata=admin())
    assert answer.routing.sla_seconds == 300


def mall_order(pb, external_id: str, phone: str = "+86 138 0013 8000", quantity: int = 2):
    return pb.SubmitOrderRequest(
        source=pb.SOURCE_MALL, external_id=external_id, delivery_district_id=DISTRICT,
        customer=pb.Customer(name="张三", phone=phone, address="重庆市渝中区解放碑1号"),
        lines=[pb.OrderLine(sku_id="bj-500", quantity=quantity, unit_price_fen=15800)])


def test_a_mall_order_from_submission_to_return_visit(orders_service):
    _, stub, stubs, service_url = orders_service
    pb = stubs.orders
    set_up_catalog(stub, pb)
    key = [("idempotency-key", "wire-" + uuid.uuid4().hex)]
    first = stub.SubmitOrder(mall_order(pb, "TM-WIRE-1"), metadata=tmall() + key)
    again = stub.SubmitOrder(mall_order(pb, "TM-WIRE-1"), metadata=tmall() + key)
    assert again.order.id == first.order.id
    # The first answer's bytes are the ones kept for the key (sent as they are, not re-encoded),
    # so the retry gets exactly what the first call got.
    assert again == first
    order = first.order
    assert order.state == pb.ORDER_STATE_RECEIVED
    assert order.total_fen == 2 * 15800
    assert order.customer.phone == "13800138000"

    stub.Acknowledge(pb.AcknowledgeRequest(order_id=order.id), metadata=lead())
    stub.Assign(pb.AssignRequest(order_id=order.id, assignee_account_id="dealer-1",
                                 assignee_kind=pb.ASSIGNEE_KIND_DEALER), metadata=lead())
    stub.Accept(pb.AcceptRequest(order_id=order.id), metadata=dealer())
    stub.MarkDelivered(pb.MarkDeliveredRequest(order_id=order.id), metadata=dealer())
    visited = stub.RecordReturnVisit(pb.RecordReturnVisitRequest(
        order_id=order.id, lines=[pb.ActualLine(sku_id="bj-500", actual_quantity=1)],
        evaluation_score=5, evaluation_text="好"), metadata=lead()).order
    assert visited.state == pb.ORDER_STATE_VISITED
    assert visited.actual_total_fen == 15800

    events = stub.ListOrderEvents(pb.ListOrderEventsRequest(order_id=order.id), metadata=tmall()).events
    assert [e.kind for e in events] == ["submitted", "acknowledged", "assigned", "accepted", "delivered", "visited"]

    # Notifications is down: the four SMS requests (the lead's prompt, the dealer's, the customer's
    # confirmation, the return-visit reminder) wait in the outbox, nothing failed.
    rows = psql(service_url, "SELECT count(*) FROM xsc_outbox WHERE destination = 'notifications' AND state <> 'delivered'")
    assert rows.returncode == 0, rows.stderr
    assert int(rows.stdout.strip()) == 4


def test_errors_carry_their_status_and_details(orders_service):
    _, stub, stubs, _ = orders_service
    pb = stubs.orders
    set_up_catalog(stub, pb)
    with pytest.raises(grpc.RpcError) as bad:
        stub.SubmitOrder(mall_order(pb, "TM-BAD", phone="12345", quantity=0), metadata=tmall())
    assert bad.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    details = dict(bad.value.trailing_metadata())["grpc-status-details-bin"]
    status = stubs.status.Status.FromString(details)
    request = stubs.details.BadRequest.FromString(status.details[0].value)
    assert [v.field for v in request.field_violations] == ["customer.phone", "lines[0].quantity"]

    order = stub.SubmitOrder(mall_order(pb, "TM-WIRE-2"), metadata=tmall()).order
    with pytest.raises(grpc.RpcError) as illegal:
        stub.Accept(pb.AcceptRequest(order_id=order.id), metadata=admin())
    assert illegal.value.code() == grpc.StatusCode.FAILED_PRECONDITION

    with pytest.raises(grpc.RpcError) as hidden:
        stub.GetOrder(pb.GetOrderRequest(order_id=order.id), metadata=other_lead())
    assert hidden.value.code() == grpc.StatusCode.NOT_FOUND

    with pytest.raises(grpc.RpcError) as anonymous:
        stub.GetOrder(pb.GetOrderRequest(order_id=order.id))
    assert anonymous.value.code() == grpc.StatusCode.UNAUTHENTICATED


def test_bulk_submission_answers_per_order(orders_service):
    _, stub, stubs, _ = orders_service
    pb = stubs.orders
    set_up_catalog(stub, pb)
    requests = [mall_order(pb, "TM-BULK-1"), mall_order(pb, "TM-BULK-2", phone="not a phone"), mall_order(pb, "TM-BULK-3")]
    answer = stub.SubmitOrders(iter(requests), metadata=tmall())
    assert (answer.accepted, answer.rejected) == (2, 1)
    assert [r.index for r in answer.results] == [0, 1, 2]
    assert answer.results[1].error.code == grpc.StatusCode.INVALID_ARGUMENT.value[0]
    listed = stub.ListOrders(pb.ListOrdersRequest(), metadata=tmall()).orders
    assert {"TM-BULK-1", "TM-BULK-3"} <= {o.external_id for o in listed}


def test_partner_feed_streams_and_resumes_without_gap_or_duplicate(orders_service):
    _, stub, stubs, _ = orders_service
    pb = stubs.orders
    set_up_catalog(stub, pb)
    jd = actor("partner-jd-feed", "partner")
    first = stub.SubmitOrder(mall_order(pb, "JD-FEED-1"), metadata=jd).order
    stub.Acknowledge(pb.AcknowledgeRequest(order_id=first.id), metadata=lead())

    stream = stub.WatchPartnerEvents(pb.PartnerFeedRequest(), metadata=jd)
    seen = [next(stream), next(stream)]
    stream.cancel()  # the partner disconnects
    assert [e.event.kind for e in seen] == ["submitted", "acknowledged"]
    assert all(e.order.partner_id == "partner-jd-feed" for e in seen)

    stub.Assign(pb.AssignRequest(order_id=first.id, assignee_account_id="dealer-1",
                                 assignee_kind=pb.ASSIGNEE_KIND_DEALER), metadata=lead())
    second = stub.SubmitOrder(mall_order(pb, "JD-FEED-2"), metadata=jd).order
    resumed = stub.WatchPartnerEvents(pb.PartnerFeedRequest(cursor=seen[-1].cursor), metadata=jd)
    more = [next(resumed), next(resumed)]
    resumed.cancel()
    assert [(e.event.order_id, e.event.kind) for e in more] == [(first.id, "assigned"), (second.id, "submitted")]

    page = stub.ListPartnerEvents(pb.PartnerFeedRequest(cursor=seen[0].cursor, page_size=2), metadata=jd)
    assert [e.event.kind for e in page.events] == ["acknowledged", "assigned"]
    assert page.next_cursor == more[0].cursor


def test_sms_acknowledgement_and_a_report_over_the_wire(orders_service):
    _, stub, stubs, _ = orders_service
    pb = stubs.orders
    set_up_catalog(stub, pb)
    # The only group-buy-platform order of this module (priced at the region's list), so the
    # channel mix below has a known row whatever the other tests submitted.
    request = mall_order(pb, "TM-SMS-1")
    request.source = pb.SOURCE_GROUPBUY_PLATFORM
    request.lines[0].unit_price_fen = 12800
    order = stub.SubmitOrder(request, metadata=tmall()).order
    notifications = actor("service:notifications", "system", "/")
    reply = pb.AcknowledgeBySmsRequest(order_code=order.code, account_id="lead-o1", replied_at_ms=order.created_at_ms + 1000,
                                       reply_text="1", inbound_id="in-1")
    with pytest.raises(grpc.RpcError) as refused:
        stub.AcknowledgeBySms(reply, metadata=lead())  # only the notifications service speaks for a reply
    assert refused.value.code() == grpc.StatusCode.PERMISSION_DENIED
    acknowledged = stub.AcknowledgeBySms(reply, metadata=notifications).order
    assert (acknowledged.state, acknowledged.acknowledged_by) == (pb.ORDER_STATE_ACKNOWLEDGED, "lead-o1")

    period = pb.ReportRequest(from_ms=order.created_at_ms - 3_600_000, to_ms=order.created_at_ms + 3_600_000)
    mix = stub.ChannelMix(period, metadata=admin()).rows
    assert [(row.orders, row.ordered_fen) for row in mix if row.source == pb.SOURCE_GROUPBUY_PLATFORM] == [(1, 2 * 12800)]
    with pytest.raises(grpc.RpcError) as partner:
        stub.ChannelMix(period, metadata=tmall())
    assert partner.value.code() == grpc.StatusCode.PERMISSION_DENIED
