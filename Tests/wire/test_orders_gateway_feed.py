"""The partner order feed end to end through xsc-gateway, with a partner's real API key: a
partner watching its feed disconnects (its whole connection goes), events happen meanwhile,
and resuming from its last cursor delivers exactly the missed events, then live ones; the paged
listing agrees event for event. Nobody else's events ever show."""
from __future__ import annotations

import grpc
import pytest

from orders_world import T


@pytest.fixture(scope="module")
def world(orders_world):
    # Shared with the reports' module (conftest.py: their data are disjoint).
    yield orders_world
    orders_world.cluster.assert_all_running()


def watch(world, cursor: str):
    """A fresh connection to the gateway and a feed stream on it (as the feed partner)."""
    channel = grpc.insecure_channel(world.cluster.address("gateway"))
    stub = world.pb.orders_grpc.OrderServiceStub(channel)
    stream = stub.WatchPartnerEvents(world.pb.orders.PartnerFeedRequest(cursor=cursor), metadata=world.who("feedmall"))
    return channel, stream


def page_all(world, who: str) -> list:
    events, cursor = [], ""
    while True:
        page = world.orders.ListPartnerEvents(world.pb.orders.PartnerFeedRequest(cursor=cursor, page_size=2),
                                              metadata=world.who(who), timeout=T)
        events += page.events
        if page.next_cursor == cursor:
            return events
        cursor = page.next_cursor


def test_feed_resumes_across_a_disconnect_without_gap_or_duplicate(world):
    first = world.submit("feedmall", world.order_request("mall", "cq-o1-d3", external_id="FEED-1"))
    world.step("Acknowledge", "cq_lead", order_id=first.id)

    channel, stream = watch(world, "")
    seen = [next(stream), next(stream)]
    channel.close()  # the partner's connection drops
    assert [(e.event.order_id, e.event.kind) for e in seen] == [(first.id, "submitted"), (first.id, "acknowledged")]
    assert all(e.order.partner_id == "feedmall" and e.order.customer.phone for e in seen), "its own orders, in full"

    # While it is away.
    world.assign(first.id, "cq_lead", "cq_dealer")
    second = world.submit("feedmall", world.order_request("mall", "cq-o1-d3", external_id="FEED-2"))
    world.step("Cancel", "cq_lead", order_id=second.id, reason="customer changed their mind")
    world.submit("tmall", world.order_request("mall", "cq-o1-d3", external_id="FEED-OTHER"))  # not its order

    channel, stream = watch(world, seen[-1].cursor)
    missed = [next(stream) for _ in range(3)]
    assert [(e.event.order_id, e.event.kind) for e in missed] == [
        (first.id, "assigned"), (second.id, "submitted"), (second.id, "cancelled")]
    # Caught up: the next event arrives live on the same stream.
    world.step("Accept", "cq_dealer", order_id=first.id)
    live = next(stream)
    stream.cancel()
    channel.close()
    assert (live.event.order_id, live.event.kind, live.order.state) == (first.id, "accepted", world.pb.orders.ORDER_STATE_ACCEPTED)

    streamed = seen + missed + [live]
    cursors = [int(e.cursor) for e in streamed]
    assert cursors == sorted(set(cursors)), "strictly increasing: no duplicate, in commit order"
    listed = page_all(world, "feedmall")
    assert [(e.cursor, e.event.sequence) for e in listed] == [(e.cursor, e.event.sequence) for e in streamed]


def test_a_partner_sees_only_its_own_events_and_staff_use_the_order_events(world):
    mine = world.submit("jd", world.order_request("mall", "sc-o2-d1", external_id="JD-FEED-1"))
    theirs = {e.event.order_id for e in page_all(world, "tmall")}
    assert mine.id not in theirs
    assert {e.event.order_id for e in page_all(world, "jd")} == {mine.id}
    with pytest.raises(grpc.RpcError) as staff:
        world.orders.ListPartnerEvents(world.pb.orders.PartnerFeedRequest(), metadata=world.who("cq_lead"), timeout=T)
    assert staff.value.code() == grpc.StatusCode.PERMISSION_DENIED
    with pytest.raises(grpc.RpcError) as forged:
        world.orders.ListPartnerEvents(world.pb.orders.PartnerFeedRequest(cursor="not-a-cursor"), metadata=world.who("jd"), timeout=T)
    assert forged.value.code() == grpc.StatusCode.INVALID_ARGUMENT
