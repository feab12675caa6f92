"""The per-address connection rate at accept, through a real service process (issue 16): a client
address that opens connections faster than XSC_PEER_CONNECT_BURST / XSC_PEER_CONNECT_RATE is
closed at accept, before any HTTP/2 frame; /metrics counts it by reason; a client from another
address is not affected. Small limits here so a few connections show it; the defaults are 500 at
once and 100 a second (README, "Abuse and fault suite"). Counts only, no timing."""
from __future__ import annotations

import re
import subprocess
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


def refusals_by_reason(cluster, service: str, counter: str) -> dict[str, float]:
    """`counter`'s values by their `reason` label, from `service`'s /metrics."""
    port = cluster.specs[service].admin_port
    text = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5).read().decode()
    return {reason: float(value) for reason, value in
            re.findall(r'^' + counter + r'\{reason="(\w+)"\} (\S+)$', text, re.MULTILINE)}


def refused_counts(cluster) -> dict[str, float]:
    return refusals_by_reason(cluster, "orders", "xsc_rpc_server_connections_refused_total")


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


def metric(text: str, name: str) -> float:
    found = re.search(rf"^{name} (\S+)$", text, re.MULTILINE)
    return float(found.group(1)) if found else float("nan")


def test_a_cooling_down_address_is_dropped_in_the_kernel_and_counted(cluster):
    """A rapid reset from 127.0.0.9 ends its connection (GOAWAY ENHANCE_YOUR_CALM) and cools the
    address down: its next connect gets no answer at all (the listener's socket filter drops the
    SYN, XSC_PEER_KERNEL_DROP, on by default), /metrics counts the block, nothing more is refused
    at accept, and 127.0.0.1 is served as before."""
    from test_abuse_h2 import END_HEADERS, HEADERS, RST_STREAM, SETTINGS, frame, goaway_of, request_block

    address = cluster.address("orders")
    host, port = address.rsplit(":", 1)
    admin = f"http://127.0.0.1:{cluster.specs['orders'].admin_port}/metrics"
    blocks_before = metric(urllib.request.urlopen(admin, timeout=5).read().decode(), "xsc_rpc_server_kernel_blocks_total")
    sock = socket.create_connection((host, int(port)), timeout=10, source_address=("127.0.0.9", 0))
    block = request_block(address, "/grpc.health.v1.Health/Watch")
    cancel = (8).to_bytes(4, "big")
    sock.sendall(PREFACE + b"".join(frame(HEADERS, END_HEADERS, 1 + 2 * i, block) + frame(RST_STREAM, 0, 1 + 2 * i, cancel)
                                    for i in range(300)))
    closed, code, _, _, _ = goaway_of(sock)
    sock.close()
    assert closed and code == 11, (closed, code)
    text = urllib.request.urlopen(admin, timeout=5).read().decode()
    refused_before = sum(refused_counts(cluster).values())

    again = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    again.bind(("127.0.0.9", 0))
    again.settimeout(0.3)
    with pytest.raises(socket.timeout):
        again.connect((host, int(port)))
    again.close()
    blocks = metric(text, "xsc_rpc_server_kernel_blocks_total")
    print(f"\nkernel drop: after a rapid reset from 127.0.0.9 its next connect timed out (SYN dropped); "
          f"/metrics xsc_rpc_server_kernel_blocks_total {blocks_before:.0f} -> {blocks:.0f}")
    assert blocks - blocks_before >= 1
    assert sum(refused_counts(cluster).values()) == refused_before, "a dropped SYN never reaches accept"
    # Another address is served (127.0.0.10: 127.0.0.1's bucket of 3 is spent by the test above).
    assert first_bytes(address, "127.0.0.10"), "another address gets the server's SETTINGS"


# The gateway's public HTTP/1.1 listener (XSC_HTTP_LISTEN) has the same per-address rate.
GATEWAY_LIMITS = {"XSC_PEER_CONNECT_BURST": "20", "XSC_PEER_CONNECT_RATE": "1"}


@pytest.fixture(scope="module")
def gateway(tmp_path_factory):
    with Cluster.started(tmp_path_factory.mktemp("http-connection-rate"), services=("gateway", "orders"),
                         env={"gateway": GATEWAY_LIMITS}) as running:
        yield running


def public_http_refusals(cluster) -> dict[str, float]:
    return refusals_by_reason(cluster, "gateway", "xsc_public_http_connections_refused_total")


def curl_from(source: str, url: str) -> tuple[int, str]:
    """curl from `source` (its exit code and HTTP status; 52/56: closed without an answer)."""
    run = subprocess.run(["curl", "-sS", "--interface", source, "--max-time", "10", "-o", "/dev/null",
                          "-w", "%{http_code}", url], capture_output=True, text=True, timeout=20)
    return run.returncode, run.stdout


def test_the_public_http_listener_closes_connections_past_the_address_rate(gateway):
    """30 HTTP/1.1 connections (curl, one request each) from 127.0.0.8 with burst 20, 1/s: the
    burst (and a token or two earned meanwhile) is answered, the rest closed at accept without an
    answer and counted on /metrics; 127.0.0.1 is answered all along."""
    url = gateway.http_url() + "/v1/orders/0192f0c4-0000-7000-8000-000000000000"
    before = public_http_refusals(gateway)
    assert set(before) == {"peer_rate", "peer_limit", "server_limit"}, before
    outcomes = [curl_from("127.0.0.8", url) for _ in range(30)]
    answered = sum(1 for code, status in outcomes if code == 0 and status != "000")
    closed = sum(1 for code, _ in outcomes if code in (52, 56))
    after = public_http_refusals(gateway)
    print(f"\npublic HTTP/1.1 connection rate (burst 20, 1/s): 30 curl connections from 127.0.0.8: {answered} answered, "
          f"{closed} closed at accept without an answer; /metrics peer_rate {before['peer_rate']:.0f} -> {after['peer_rate']:.0f}")
    assert answered + closed == 30, outcomes
    assert 20 <= answered <= 25, outcomes
    assert after["peer_rate"] - before["peer_rate"] == closed
    code, status = curl_from("127.0.0.1", url)
    assert code == 0 and status != "000", (code, status)
