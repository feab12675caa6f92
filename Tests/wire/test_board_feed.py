"""The operations board's feed (issue 20) end to end: grpcio through xsc-gateway to xsc-orders on
real PostgreSQL, every person with a real session (orders_world.py builds the organisation
through the gateway). Region cq's customer service watches its board (WatchBoard): a submitted
order appears, its lane and responsible person change with Acknowledge / Assign / Accept /
MarkDelivered, and the return visit takes it off (GONE). Region sc's customer service watches
at the same time and sees nothing of it - only its own region's order. GetBoard answers the same
picture (HQ every region, mine_only the lead's own next steps), and a malformed or foreign
region_id is INVALID_ARGUMENT. Nothing here is timed; the submission-to-row delays seen are
printed as figures.

Shown able to fail: with BoardAudience.sees letting every caller see every order, sc's watcher
received cq's order and the test failed on "nothing of cq's order"."""
from __future__ import annotations

import re
import threading
import time
import urllib.request

import grpc
import pytest

from cluster_support import Cluster, eventually
from orders_world import T, World


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    with Cluster.started(tmp_path_factory.mktemp("board-feed"), services=("gateway", "orders")) as cluster:
        yield World(cluster).build()
        cluster.assert_all_running()


class Watcher:
    """One WatchBoard stream through the gateway, read on its own thread: every update it
    received, with the monotonic time it arrived."""

    def __init__(self, world, who: str, region: str = "", mine_only: bool = False):
        pb = world.pb.orders_board
        self.channel = grpc.insecure_channel(world.cluster.address("gateway"))
        stub = world.pb.orders_grpc.OrderServiceStub(self.channel)
        self.stream = stub.WatchBoard(pb.BoardRequest(region_id=region, mine_only=mine_only), metadata=world.who(who))
        self.updates: list = []
        self.arrivals: list[float] = []
        self.error: grpc.RpcError | None = None
        self.lock = threading.Lock()
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _read(self):
        try:
            for update in self.stream:
                with self.lock:
                    self.updates.append(update)
                    self.arrivals.append(time.monotonic())
        except grpc.RpcError as error:
            self.error = error

    def rows(self, order_id: str) -> list:
        with self.lock:
            return [row for update in self.updates for row in update.rows if row.order_id == order_id]

    def latest(self, order_id: str):
        rows = self.rows(order_id)
        return rows[-1] if rows else None

    def first_seen(self, order_id: str) -> float | None:
        with self.lock:
            for update, at in zip(self.updates, self.arrivals):
                if any(row.order_id == order_id for row in update.rows):
                    return at
        return None

    def order_ids(self) -> set[str]:
        with self.lock:
            return {row.order_id for update in self.updates for row in update.rows}

    def close(self):
        self.stream.cancel()
        self.thread.join(timeout=T)
        self.channel.close()


def orders_metric(world, name: str) -> float:
    port = world.cluster.specs["orders"].admin_port
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=T) as response:
        text = response.read().decode()
    found = re.search(rf"^{name} (\S+)$", text, re.MULTILINE)
    assert found, f"{name} not on /metrics"
    return float(found.group(1))


def lane(world, name: str) -> int:
    return world.pb.orders_board.BoardLane.Value("BOARD_LANE_" + name)


def test_a_watcher_follows_an_order_from_submission_to_gone_and_another_region_sees_nothing(world):
    cq = Watcher(world, "cq_cs")
    sc = Watcher(world, "sc_cs")
    lead = Watcher(world, "cq_lead", mine_only=True)
    try:
        for watcher in (cq, sc, lead):
            eventually("the snapshot", lambda: watcher.updates or watcher.error)
            assert watcher.error is None, watcher.error
            assert watcher.updates[0].snapshot and watcher.updates[0].server_time_ms > 0
        # Three watchers, one poller (its rounds are on /metrics).
        assert orders_metric(world, "xsc_board_watchers") == 3
        rounds = orders_metric(world, "xsc_board_rounds_total")
        eventually("the shared poller's next round", lambda: orders_metric(world, "xsc_board_rounds_total") > rounds)

        submitted_at = time.monotonic()
        order = world.submit("cq_lead", world.order_request("phone", "cq-o1-d3"))
        row = eventually("the new order on cq's board", lambda: cq.latest(order.id))
        seen_after = cq.first_seen(order.id) - submitted_at
        assert (row.lane, row.state, row.order_code) == (lane(world, "WAITING"), "received", order.code)
        assert row.responsible_account_id == world.id("cq_lead") and row.responsible_name == "cq_lead"
        assert row.deadline_at_ms > order.created_at_ms, "the acknowledgement's deadline runs"
        assert row.item_count == 4 and row.total_fen == order.total_fen and row.customer_name == "张三"
        assert not row.actionable_by_caller, "customer service watches; the lead acknowledges"
        mine = eventually("the lead's own waiting order", lambda: lead.latest(order.id))
        assert mine.actionable_by_caller

        world.step("Acknowledge", "cq_lead", order_id=order.id)
        eventually("acknowledged", lambda: (cq.latest(order.id).state == "acknowledged") or None)
        world.assign(order.id, "cq_lead", "cq_dealer")
        row = eventually("assigned to the dealer",
                         lambda: cq.latest(order.id) if cq.latest(order.id).state == "assigned" else None)
        assert (row.lane, row.responsible_account_id) == (lane(world, "WAITING"), world.id("cq_dealer"))
        eventually("no longer the lead's step: GONE on its page",
                   lambda: lead.latest(order.id).lane == lane(world, "GONE") or None)

        world.step("Accept", "cq_dealer", order_id=order.id)
        world.step("MarkDelivered", "cq_dealer", order_id=order.id)
        row = eventually("awaiting the return visit",
                         lambda: cq.latest(order.id) if cq.latest(order.id).lane == lane(world, "AWAITING_VISIT") else None)
        assert row.actionable_by_caller, "the region's customer service makes return visits"
        world.visit(order.id, "cq_cs", {"bj-500": 3, "bj-250": 1})
        eventually("visited: GONE", lambda: cq.latest(order.id).lane == lane(world, "GONE") or None)

        # sc's watcher: its own region's order arrives; of cq's, nothing ever did.
        theirs = world.submit("sc_lead", world.order_request("phone", "sc-o2-d1"))
        eventually("sc's own order on sc's board", lambda: sc.latest(theirs.id))
        assert sc.order_ids() == {theirs.id}
        assert not any(update.violations for update in sc.updates)
        assert theirs.id not in cq.order_ids()
        print(f"\nboard feed: a new order reached a watcher {seen_after * 1000:.0f} ms after SubmitOrder was sent "
              f"(a figure, not a threshold); cq's watcher got {len(cq.updates)} messages")
    finally:
        for watcher in (cq, sc, lead):
            watcher.close()
    for watcher in (cq, sc, lead):
        assert watcher.error is None or watcher.error.code() == grpc.StatusCode.CANCELLED, watcher.error
    eventually("nobody watches", lambda: orders_metric(world, "xsc_board_watchers") == 0)
    idle = orders_metric(world, "xsc_board_rounds_total")
    time.sleep(0.5)  # five rounds' time: an idle hub reads nothing
    assert orders_metric(world, "xsc_board_rounds_total") == idle


def test_get_board_hq_regions_mine_only_and_bad_regions(world):
    pb = world.pb.orders_board
    cq_order = world.submit("cq_lead", world.order_request("phone", "cq-o1-d3"))
    sc_order = world.submit("sc_lead", world.order_request("phone", "sc-o2-d1"))

    def ids(metadata, **fields):
        board = world.orders.GetBoard(pb.BoardRequest(**fields), metadata=metadata, timeout=T)
        assert board.snapshot
        return {row.order_id for row in board.rows}
    everything = ids(world.admin)
    assert {cq_order.id, sc_order.id} <= everything, "HQ sees every region"
    assert sc_order.id not in ids(world.admin, region_id="cq") and cq_order.id in ids(world.admin, region_id="cq")
    assert cq_order.id in ids(world.who("cq_cs"), region_id="cq")
    assert sc_order.id not in ids(world.who("cq_cs")) and cq_order.id not in ids(world.who("sc_cs"))
    assert cq_order.id in ids(world.who("cq_lead"), mine_only=True)
    assert cq_order.id not in ids(world.who("cq_cs"), mine_only=True)
    assert ids(world.who("cq_dealer")) & {cq_order.id, sc_order.id} == set(), "a dealer sees only what it was given"
    assert cq_order.id not in ids(world.who("referrer")), "an intermediary reads referrals in part: no board rows"

    for who, region in (("cq_cs", "sc"), ("cq_cs", "nowhere"), ("cq_cs", "x' OR '1'='1"), ("admin", "a" * 200)):
        metadata = world.admin if who == "admin" else world.who(who)
        with pytest.raises(grpc.RpcError) as refused:
            world.orders.GetBoard(pb.BoardRequest(region_id=region), metadata=metadata, timeout=T)
        assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT, (who, region)
        assert "region_id" in refused.value.details() and region not in refused.value.details()
        with pytest.raises(grpc.RpcError) as watched:
            next(iter(world.orders.WatchBoard(pb.BoardRequest(region_id=region), metadata=metadata, timeout=T)))
        assert watched.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        assert watched.value.details() == refused.value.details()
    # Another region's name and one that does not exist get the same answer.
    answers = set()
    for region in ("sc", "nowhere"):
        try:
            world.orders.GetBoard(pb.BoardRequest(region_id=region), metadata=world.who("cq_cs"), timeout=T)
        except grpc.RpcError as error:
            answers.add((error.code(), error.details().replace(region, "?")))
    assert len(answers) == 1, answers
