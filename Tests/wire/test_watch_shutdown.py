"""A service shutting down ends its watch streams at once (RPC `ServerContext.isServerShuttingDown`)
instead of waiting out the shutdown's grace period (10 s) for streams that never end on their
own: orders' WatchPartnerEvents and WatchBoard and notifications' WatchInbox answer UNAVAILABLE "the server is
shutting down; ..." with how to resume, and the process stops. The stop times are printed (a
figure, not a threshold); the status message is what the test checks - before this change the
stream was cut by the closing connection after the grace period, with another message.

Needs DATABASE_URL (a superuser URL; `make test` provides one)."""
from __future__ import annotations

import base64
import threading
import time

import grpc
import pytest

from cluster_support import ACTOR_SECRET, Cluster
from wire_support import run_xsc as xsc


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    with Cluster.started(tmp_path_factory.mktemp("watch-shutdown"), services=("orders", "notifications")) as running:
        yield running


def minted(account: str, role: str, audience: str) -> list[tuple[str, bytes]]:
    made = xsc("mint-actor", "--audience", audience, "--account", account, "--role", role, "--plain", env={"XSC_ACTOR_SECRET": ACTOR_SECRET})
    assert made.returncode == 0, made.stderr
    return [(name, base64.b64decode(value)) for name, value in (line.split(": ", 1) for line in made.stdout.splitlines())]


def ended_by_shutdown(cluster: Cluster, service: str, stream) -> tuple[grpc.RpcError, float]:
    """Stops `service` (SIGTERM) while `stream` waits for news; the stream's error and the stop's
    duration in seconds."""
    outcome: dict[str, object] = {}

    def consume():
        try:
            for _ in stream:
                pass
            outcome["error"] = None
        except grpc.RpcError as error:
            outcome["error"] = error
    reader = threading.Thread(target=consume)
    reader.start()
    time.sleep(1)  # the handler is in its wait loop
    started = time.monotonic()
    cluster.stop_service(service)
    stopped_in = time.monotonic() - started
    reader.join(timeout=30)
    assert not reader.is_alive(), "the stream outlived the server"
    error = outcome["error"]
    assert isinstance(error, grpc.RpcError), "the stream must end with a status a client retries"
    return error, stopped_in


def ready_channel(cluster, service: str) -> grpc.Channel:
    """A channel already connected, so the watch call reaches the server well before its stop."""
    channel = cluster.channel(service)
    grpc.channel_ready_future(channel).result(timeout=30)
    return channel


def open_partner_feed(cluster):
    pb = cluster.stubs.orders
    stub = cluster.stubs.orders_grpc.OrderServiceStub(ready_channel(cluster, "orders"))
    return stub.WatchPartnerEvents(pb.PartnerFeedRequest(), metadata=minted("partner-watch", "partner", "orders"))


def open_board_watch(cluster):
    pb = cluster.stubs.orders_board
    stub = cluster.stubs.orders_grpc.OrderServiceStub(ready_channel(cluster, "orders"))
    return stub.WatchBoard(pb.BoardRequest(), metadata=minted("manager-watch", "manager", "orders"))


def open_inbox_watch(cluster):
    pb = cluster.stubs.notifications
    stub = cluster.stubs.notifications_grpc.NotificationServiceStub(ready_channel(cluster, "notifications"))
    return stub.WatchInbox(pb.WatchInboxRequest(), metadata=minted("acct-watch", "staff", "notifications"))


@pytest.mark.parametrize("service, open_watch, message", [
    ("orders", open_partner_feed,
     "the server is shutting down; reconnect with the cursor of the last event you handled"),
    ("orders", open_board_watch,
     "the server is shutting down; watch again: the first message is a fresh snapshot"),
    ("notifications", open_inbox_watch,
     "the server is shutting down; watch again with after_id = the last message you received"),
])
def test_a_watch_ends_with_unavailable_and_how_to_resume(cluster, service, open_watch, message):
    if service not in cluster.processes:
        cluster.start_service(service)  # an earlier case stopped it
    error, stopped_in = ended_by_shutdown(cluster, service, open_watch(cluster))
    print(f"\nxsc-{service} stopped in {stopped_in:.2f} s with a watch stream open")
    assert error.code() == grpc.StatusCode.UNAVAILABLE
    assert error.details() == message
