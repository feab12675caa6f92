"""The per-address connection rate at accept, through a real service process (issue 16): a client
address that opens connections faster than XSC_PEER_CONNECT_BURST / XSC_PEER_CONNECT_RATE is
closed at accept, before any HTTP/2 frame; /metrics counts it by reason; a client from another
address is not affected. Small limits here so a few connections show it; the defaults are 500 at
once and 100 a second (README, "Abuse and fault suite"). Counts only, no timing."""
from __future__ import annotations

import re
import socket
import urllib.request

import grpc
import pytest

from cluster_support import Cluster

LIMITS = {"XSC_PEER_CONNECT_BURST": "3", "XSC_PEER_CONNECT_RATE": "1"}
PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" + bytes([0, 0, 0, 4, 0, 0, 0, 0, 0])


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    with Cluster.started(tmp_path_factory.mktemp("connection-rate"), services=("orders",),
                         env={"orders": LIMITS}) as running:
        yield running


def first_bytes(address: str, source: str) -> bytes:
    """Connects from `source`, sends the HTTP/2 preface, returns what the server sends before it
    closes or goes quiet (b"": closed at accept)."""
    host, port = address.rsplit(":", 1)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind((source, 0))
    sock.settimeout(2)
    sock.connect((host, int(port)))
    received = b""
    try:
        sock.sendall(PREFACE)
        received = sock.recv(1 << 16)
    except (ConnectionResetError, BrokenPipeError):
        pass
    except socket.timeout:
        received = b"(open)"
    finally:
        sock.close()
    return received


def refused_counts(cluster) -> dict[str, float]:
    port = cluster.specs["orders"].admin_port
    text = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5).read().decode()
    return {reason: float(value) for reason, value in
            re.findall(r'^xsc_rpc_server_connections_refused_total\{reason="(\w+)"\} (\S+)$', text, re.MULTILINE)}


def test_connections_past_the_address_rate_are_closed_at_accept_and_counted(cluster):
    address = cluster.address("orders")
    before = refused_counts(cluster)
    assert set(before) == {"peer_rate", "cool_down", "peer_limit", "server_limit"}, before
    answers = [first_bytes(address, "127.0.0.7") for _ in range(10)]
    served = sum(1 for answer in answers if answer)
    refused = sum(1 for answer in answers if not answer)
    after = refused_counts(cluster)
    print(f"\nconnection rate (burst 3, 1/s): 10 connections at once from 127.0.0.7: {served} served, {refused} closed "
          f"at accept before any frame; /metrics peer_rate {before['peer_rate']:.0f} -> {after['peer_rate']:.0f}")
    assert 3 <= served <= 5, answers  # the burst, and at most a token or two earned meanwhile
    assert after["peer_rate"] - before["peer_rate"] == refused
    assert after["cool_down"] == after["peer_limit"] == after["server_limit"] == 0
    # Another address (the health check's, 127.0.0.1) is not affected.
    health = cluster.stubs.health
    with grpc.insecure_channel(address) as channel:
        status = cluster.stubs.health_grpc.HealthStub(channel).Check(health.HealthCheckRequest(), timeout=10).status
    assert status == health.HealthCheckResponse.SERVING
