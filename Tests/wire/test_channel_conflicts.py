"""The channel-conflict guard (issue 17; DOMAIN.md "Channel conflicts", seed 003) through the
gateway with grpcio, on real services (gateway, orders, settlements): each case is flagged at
intake, classed by its reviewer, and its violation lands in settlements' ledger with the source
table's penalty (dealers 2000/5000/10000 yuan, staff 200/500/1000).

Cases: the same customer and SKU through two channels (Tmall, then the alliance site); a
refund-then-reorder elsewhere (an order completed inside the company's channels, refunded, then
re-captured through JD); a flag dismissed as not proven (nothing in the ledger). Refusals: an
order lead may not review, the regional manager may not class severe (HQ decides), a flag is
reviewed once.

Needs DATABASE_URL (a superuser URL; `make test` provides one)."""
from __future__ import annotations

import uuid

import grpc
import pytest

from cluster_support import Cluster, eventually
from orders_world import T, World

REGION, DISTRICT = "gz", "gz-o1-d1"


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    with Cluster.started(tmp_path_factory.mktemp("channel-conflicts"), services=("gateway", "orders", "settlements")) as cluster:
        yield World(cluster).build()
        cluster.assert_all_running()


def phone() -> str:
    return "136" + f"{uuid.uuid4().int % 100_000_000:08d}"


def open_flags(world, customer_phone: str) -> list:
    pb = world.pb.orders_conflicts
    answer = world.orders.ListChannelConflicts(pb.ListChannelConflictsRequest(), metadata=world.who("gz_manager"), timeout=T)
    return [flag for flag in answer.conflicts if flag.customer_phone == customer_phone]


def review(world, who: str, flag_id: str, conflict_class: str = "", person: str = "", dismiss: bool = False):
    pb = world.pb.orders_conflicts
    request = pb.ClassChannelConflictRequest(
        conflict_id=flag_id, dismiss=dismiss, detail="顾客确认经销商劝其退单后改在其他渠道下单",
        person_account_id=world.id(person) if person else "",
        **({"class": pb.ConflictClass.Value("CONFLICT_CLASS_" + conflict_class)} if conflict_class else {}))
    metadata = world.admin if who == "admin" else world.who(who)
    return world.orders.ClassChannelConflict(request, metadata=metadata, timeout=T)


def ledger(world, person: str, reference: str) -> list[list[str]]:
    """(class, person_kind, penalty_fen, source, rule) of the person's violations about `reference`."""
    return world.cluster.query("settlements", "SELECT class, person_kind, penalty_fen, source, rule FROM violations "
                                              "WHERE person_account_id = :'p1' AND reference = :'p2'", world.id(person), reference)


def test_two_channels_flagged_classed_serious_and_booked_with_the_dealer_penalty(world):
    customer = phone()
    first = world.submit("tmall", world.order_request("mall", DISTRICT, external_id="TM-" + uuid.uuid4().hex[:8], phone=customer))
    assert open_flags(world, customer) == []
    later = world.submit("alliance-site", world.order_request("alliance", DISTRICT, external_id="AL-" + uuid.uuid4().hex[:8],
                                                              referrer=world.id("referrer"), phone=customer))
    [flag] = open_flags(world, customer)
    pb = world.pb.orders_conflicts
    assert flag.kind == pb.CONFLICT_KIND_TWO_CHANNELS and flag.state == pb.CONFLICT_STATE_OPEN
    assert (flag.earlier.order_code, flag.earlier.source, flag.earlier.partner_id) == (first.code, "mall", "tmall")
    assert (flag.order.order_code, flag.order.source) == (later.code, "alliance")
    assert list(flag.sku_ids) == ["bj-250", "bj-500"] and flag.region_id == REGION

    # Not a reviewer: the office lead. Severe: HQ's decision, not the regional manager's.
    with pytest.raises(grpc.RpcError) as refused:
        review(world, "gz_lead", flag.id, "GENERAL", "gz_dealer")
    assert refused.value.code() == grpc.StatusCode.PERMISSION_DENIED
    with pytest.raises(grpc.RpcError) as refused:
        review(world, "gz_manager", flag.id, "SEVERE", "gz_dealer")
    assert refused.value.code() == grpc.StatusCode.PERMISSION_DENIED

    classed = review(world, "gz_manager", flag.id, "SERIOUS", "gz_dealer")
    assert classed.state == pb.CONFLICT_STATE_CLASSED and getattr(classed, "class") == pb.CONFLICT_CLASS_SERIOUS
    assert classed.reviewed_by_account_id == world.id("gz_manager")
    # Reviewed once: another class is refused.
    with pytest.raises(grpc.RpcError) as refused:
        review(world, "gz_manager", flag.id, "GENERAL", "gz_dealer")
    assert refused.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert open_flags(world, customer) == []

    # Settlements' ledger: a serious fault of a dealer is 5000 yuan (seed 003, 8.2).
    eventually("the violation reached settlements' ledger", lambda: ledger(world, "gz_dealer", later.code))
    assert ledger(world, "gz_dealer", later.code) == [["serious", "dealer", "500000", "channel", "channel_conflict"]]


def test_refund_then_reorder_elsewhere_is_flagged_and_hq_classes_it_severe(world):
    customer = phone()
    own = world.submit("gz_lead", world.order_request("phone", DISTRICT, phone=customer, quantities=(2, 0)))
    world.to_delivered(own.id, lead="gz_lead", dealer="gz_dealer")
    world.visit(own.id, "gz_lead", {"bj-500": 2})
    world.step("Refund", "gz_cs", order_id=own.id, reason="顾客要求退货")
    assert open_flags(world, customer) == []
    reorder = world.submit("jd", world.order_request("mall", DISTRICT, external_id="JD-" + uuid.uuid4().hex[:8], phone=customer))
    [flag] = open_flags(world, customer)
    pb = world.pb.orders_conflicts
    assert flag.kind == pb.CONFLICT_KIND_REFUND_REORDER
    assert (flag.earlier.order_code, flag.earlier.state) == (own.code, "refunded")
    assert (flag.order.order_code, flag.order.partner_id) == (reorder.code, "jd")
    assert list(flag.sku_ids) == ["bj-500"]

    classed = review(world, "admin", flag.id, "SEVERE", "gz_cs")
    assert classed.state == pb.CONFLICT_STATE_CLASSED
    # A severe fault of staff is 1000 yuan (seed 003, 8.3).
    eventually("the violation reached settlements' ledger", lambda: ledger(world, "gz_cs", reorder.code))
    assert ledger(world, "gz_cs", reorder.code) == [["severe", "staff", "100000", "channel", "channel_conflict"]]


def test_a_dismissed_flag_books_nothing(world):
    customer = phone()
    world.submit("tmall", world.order_request("mall", DISTRICT, external_id="TM-" + uuid.uuid4().hex[:8], phone=customer))
    later = world.submit("gz_lead", world.order_request("phone", DISTRICT, phone=customer))
    [flag] = open_flags(world, customer)
    assert flag.order.order_code == later.code
    queued = lambda: world.cluster.query("orders", "SELECT count(*) FROM xsc_outbox WHERE method_path = "
                                                   "'/xsc.settlements.v1.SettlementService/RecordChannelConflict'")
    before = queued()
    dismissed = review(world, "gz_manager", flag.id, dismiss=True)
    assert dismissed.state == world.pb.orders_conflicts.CONFLICT_STATE_DISMISSED
    assert open_flags(world, customer) == []
    assert queued() == before, "nothing queued for settlements"
    assert world.cluster.query("settlements", "SELECT count(*) FROM violations WHERE reference = :'p1'", later.code) == [["0"]]
