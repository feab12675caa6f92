"""Fixtures of the wire tests: generated stubs, the server under test, channels."""
from __future__ import annotations

import grpc
import pytest

import wire_support


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
