"""Fixtures of the wire tests: generated stubs, the server under test, channels."""
from __future__ import annotations

import os

import grpc
import pytest

import shared_systems
import wire_support
from orders_world import World

# Under pytest-xdist (make test runs modules on several workers) each worker gets a PostgreSQL
# server of its own: a service's database role is server-wide, so two workers' systems on one
# server would reset each other's role passwords (xsc db-bootstrap) mid-test.
_worker_postgres = None


def pytest_configure(config):
    global _worker_postgres
    if os.environ.get("PYTEST_XDIST_WORKER") and os.environ.get("DATABASE_URL"):
        _worker_postgres = shared_systems.private_postgres()
        os.environ["DATABASE_URL"] = _worker_postgres.__enter__()


def pytest_unconfigure(config):
    if _worker_postgres is not None:
        _worker_postgres.__exit__(None, None, None)


@pytest.fixture(scope="session")
def stubs(tmp_path_factory) -> wire_support.Stubs:
    out = tmp_path_factory.mktemp("stubs")
    wire_support.generate_stubs(out)
    return wire_support.load_stubs(out)


@pytest.fixture(scope="session")
def interop_server(stubs):
    """The conformance server under test, started once for the session."""
    server = wire_support.start_interop_target(stubs)
    yield server
    server.stop()


@pytest.fixture
def live_server(interop_server):
    """The session server, checked to still be alive after each test that uses it: a crash
    caused by a test is reported by that test, with the server's output."""
    yield interop_server
    assert interop_server.is_running(), (
        f"{interop_server.name} died during this test\n--- its output ---\n{interop_server.output()}"
    )


@pytest.fixture
def channel(live_server):
    with grpc.insecure_channel(live_server.address) as ch:
        yield ch


@pytest.fixture
def test_stub(stubs, channel):
    return stubs.test_pb2_grpc.TestServiceStub(channel)


@pytest.fixture(scope="session")
def standard_cluster(tmp_path_factory):
    """The standard system (gateway, orders, notifications, default settings), started on first
    use and shared by every module that only calls it (shared_systems.py says which may).
    `seed_drill_once()` seeds the drill organisation and returns the first seeding's output."""
    with shared_systems.shared_system(tmp_path_factory, "standard") as cluster:
        yield cluster


@pytest.fixture(scope="session")
def orders_world(tmp_path_factory):
    """gateway + orders (notifications not running: SMS requests wait in orders' outbox) with
    orders_world.World built once, for test_orders_gateway_feed.py and _reports.py: their data
    are disjoint by design (the feed: partners feedmall, tmall, jd in cq and sc; the reports:
    region gz). test_orders_gateway.py keeps a world of its own: its jd and cq orders would show
    in the feed's listings."""
    with shared_systems.shared_system(tmp_path_factory, "orders-world", services=("gateway", "orders")) as cluster:
        yield World(cluster).build()
