"""HTTP/2 abuse (issue 16's suite): rapid reset, a CONTINUATION flood, SETTINGS and PING floods
and slowloris against xsc-interop-server, each while a well-behaved grpcio client keeps calling.
Each case prints: whether the abusive connection was closed (GOAWAY or EOF) and after how many
frames, the server's RSS before and after, and the other client's p50/p99 during the abuse next to
its baseline measured in the same run. Asserted: the abusive connection is closed (where the
server is meant to close it), RSS growth bounded, the other client got every answer, and the
server still serves. Latency is printed, never asserted (no timing thresholds in tests).

Each case can fail: `XSC_WIRE_TARGET=reference` runs it against grpcio's server, and a server
that ignored a flood would leave the connection open (the "closed" assertion) or grow memory.
`XSC_ABUSE_SCALE` multiplies the frame counts (make soak sets it; make test runs 1).

Each abuser connects from a loopback address of its own (127.0.0.2 and up), the well-behaved
client from 127.0.0.1: the server limits connections per client address (a rate, and a
cool-down after a connection was closed for glitches), and an attacker is not its victim."""
from __future__ import annotations

import collections
import json
import os
import socket
import struct
import subprocess
import sys
import time
from pathlib import Path

import raw_h2
import wire_support
from test_abuse_headers import rss_kib

SCALE = max(1, int(os.environ.get("XSC_ABUSE_SCALE", "1")))
PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
EMPTY_CALL = "/grpc.testing.TestService/EmptyCall"

# Frame types and flags (RFC 9113 section 6).
DATA, HEADERS, RST_STREAM, SETTINGS, PING, GOAWAY, CONTINUATION = 0, 1, 3, 4, 6, 7, 9
END_STREAM, END_HEADERS, ACK = 0x1, 0x4, 0x1


def frame(kind: int, flags: int, stream: int, payload: bytes = b"") -> bytes:
    return struct.pack(">I", len(payload))[1:] + bytes([kind, flags]) + struct.pack(">I", stream) + payload


def request_block(authority: str, path: str = EMPTY_CALL) -> bytes:
    """A gRPC request's header block, HPACK-encoded without indexing (fresh per use)."""
    import hpack
    return hpack.Encoder().encode([(":method", "POST"), (":scheme", "http"), (":path", path),
                                   (":authority", authority), ("content-type", "application/grpc"),
                                   ("te", "trailers")])


WINDOW_S = 2.0 * SCALE  # how long each abuse lasts while the other client measures
# The abusers' source addresses, one per case (cool-downs and buckets are per address).
RAPID_RESET_FROM, CONTINUATION_FROM, SETTINGS_FROM, PING_FROM = "127.0.0.2", "127.0.0.4", "127.0.0.5", "127.0.0.6"


class Prober:
    """The well-behaved client (abuse_prober.py) in its own process for `seconds`."""

    def __init__(self, address: str, stubs, seconds: float):
        self.proc = subprocess.Popen(
            [sys.executable, str(Path(__file__).resolve().parent / "abuse_prober.py"), "--address", address,
             "--stubs-dir", str(stubs.dir), "--seconds", str(seconds)],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        assert self.proc.stdout.readline().strip() == "ready", self.proc.stderr.read()

    def result(self) -> tuple[list[float], list[str]]:
        out, err = self.proc.communicate(timeout=120)
        assert self.proc.returncode == 0, err
        answer = json.loads(out.strip().splitlines()[-1])
        return answer["latencies_ms"], answer["failures"]


def percentile(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def raw_socket(address: str, source: str | None = None, connect_timeout: float | None = None) -> socket.socket:
    """A connection to `address` from `source`; with `connect_timeout` a connect that gets no
    answer in time raises socket.timeout (its SYN was dropped)."""
    host, port = address.rsplit(":", 1)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    if source:
        # The port is chosen at connect (IP_BIND_ADDRESS_NO_PORT), by the whole 4-tuple: a
        # reconnect loop from one address would otherwise run out of ports to bind.
        sock.setsockopt(socket.SOL_IP, getattr(socket, "IP_BIND_ADDRESS_NO_PORT", 24), 1)
        sock.bind((source, 0))
    sock.settimeout(connect_timeout or raw_h2.READ_TIMEOUT_S)
    try:
        sock.connect((host, int(port)))
    except BaseException:
        sock.close()
        raise
    sock.settimeout(raw_h2.READ_TIMEOUT_S)
    return sock


def closed_by_server(sock: socket.socket, wait_s: float = 5.0) -> tuple[bool, bool]:
    """(closed, saw GOAWAY): reads what the server sends until EOF or `wait_s` of silence.
    `closed_by_server.received` keeps how many bytes came (0: refused at accept)."""
    sock.settimeout(wait_s)
    goaway = False
    buffered = b""
    closed_by_server.received = 0
    for _ in range(100_000):
        try:
            chunk = sock.recv(1 << 16)
        except socket.timeout:
            return False, goaway
        except (ConnectionResetError, BrokenPipeError):
            return True, goaway
        if not chunk:
            return True, goaway
        closed_by_server.received += len(chunk)
        buffered += chunk
        while len(buffered) >= 9:
            length = int.from_bytes(buffered[:3], "big")
            if len(buffered) < 9 + length:
                break
            if buffered[3] == GOAWAY:
                goaway = True
            buffered = buffered[9 + length:]
    return False, goaway


def send_all(sock: socket.socket, data: bytes) -> bool:
    """False when the server has already closed the connection."""
    try:
        sock.sendall(data)
        return True
    except (BrokenPipeError, ConnectionResetError, socket.timeout):
        return False


def cpu_ms(pid: int) -> float:
    """User + system CPU time the process has used so far (/proc/PID/stat, clock ticks)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) * 1000 / os.sysconf("SC_CLK_TCK")


def run_case(name: str, live_server, stubs, abuse_once) -> dict:
    """Baseline, then `abuse_once(address)` on fresh connections, one after another, for
    WINDOW_S while the other client calls; prints the row's figures. `abuse_once` returns
    {"closed": bool, "frames": int, ...}."""
    pid = live_server.proc.pid
    quiet_cpu = cpu_ms(pid)
    base, base_failures = Prober(live_server.address, stubs, WINDOW_S).result()
    quiet_cpu = cpu_ms(pid) - quiet_cpu
    assert not base_failures, base_failures[:5]
    before = rss_kib(pid)
    prober = Prober(live_server.address, stubs, WINDOW_S)
    abuse_cpu = cpu_ms(pid)
    outcomes, end = [], time.monotonic() + WINDOW_S
    for _ in range(1_000_000):  # bounded; the window ends it (refused connections are quick)
        outcomes.append(abuse_once(live_server.address))
        if time.monotonic() >= end:
            break
    during, failures = prober.result()
    abuse_cpu = cpu_ms(pid) - abuse_cpu
    after = rss_kib(pid)
    p99_base, p99_during = percentile(base, 99), percentile(during, 99)
    ratio = p99_during / p99_base if p99_base > 0 else float("nan")
    closed = sum(1 for o in outcomes if o["closed"])
    refused = sum(1 for o in outcomes if o.get("refused"))
    dropped = sum(1 for o in outcomes if o.get("dropped"))
    frames = sum(o["frames"] for o in outcomes)
    print(f"\n{name}: {len(outcomes)} abusive connections, {closed} closed by the server "
          f"({refused - dropped} of them at accept, before any frame; {dropped} more connects dropped in the kernel) "
          f"({frames:,} {outcomes[0]['unit']} sent); server RSS {before:,} -> {after:,} KiB; other client "
          f"p50 {percentile(base, 50):.2f} -> {percentile(during, 50):.2f} ms, p99 {p99_base:.2f} -> {p99_during:.2f} ms "
          f"({ratio:.2f}x baseline: {'within' if ratio <= 2 else 'OVER'} 2x), {len(during)} calls, {len(failures)} failed; "
          f"server CPU {abuse_cpu:.0f} ms in the abused window vs {quiet_cpu:.0f} ms in the quiet one")
    assert not failures, failures[:5]
    assert after - before < 64 * 1024, f"{name}: RSS grew {after - before} KiB"
    with raw_h2.RawGrpcConnection(live_server.address) as again:
        assert again.request(again.grpc_headers(EMPTY_CALL), raw_h2.grpc_frame(b"")).grpc_status == 0
    return {"connections": len(outcomes), "closed": closed, "refused": refused, "outcomes": outcomes,
            "p99_ratio": ratio, "p99_during": p99_during, "p99_base": p99_base}


def goaway_of(sock: socket.socket, wait_s: float = 5.0) -> tuple[bool, int | None, int | None, int, int]:
    """(closed, GOAWAY error code, GOAWAY last-stream-id, response HEADERS seen, bytes received):
    reads what the server sends until EOF or `wait_s` of silence."""
    sock.settimeout(wait_s)
    code = last = None
    answered = received = 0
    buffered = b""
    closed = False
    for _ in range(100_000):
        try:
            chunk = sock.recv(1 << 16)
        except socket.timeout:
            break
        except (ConnectionResetError, BrokenPipeError):
            closed = True
            break
        if not chunk:
            closed = True
            break
        received += len(chunk)
        buffered += chunk
        while len(buffered) >= 9:
            length = int.from_bytes(buffered[:3], "big")
            if len(buffered) < 9 + length:
                break
            kind, payload = buffered[3], buffered[9:9 + length]
            if kind == GOAWAY and len(payload) >= 8:
                last = int.from_bytes(payload[:4], "big") & 0x7FFFFFFF
                code = int.from_bytes(payload[4:8], "big")
            elif kind == HEADERS:
                answered += 1
            buffered = buffered[9 + length:]
    return closed, code, last, answered, received


# How long the attacker waits for a connect before trying again: an attacker does not wait for
# SYNs the server drops (its own TCP would only retransmit after a second). 10 ms by default (a
# loopback handshake that is answered takes well under that): the loop then sends a SYN every
# 10 ms while blocked. XSC_ABUSE_CONNECT_TIMEOUT_S=0.25 was the first series of runs.
CONNECT_TIMEOUT_S = float(os.environ.get("XSC_ABUSE_CONNECT_TIMEOUT_S", "0.01"))


def door_socket(address: str, source: str) -> socket.socket | None:
    """An abuser's connection from `source`, or None when its connect was not answered within
    CONNECT_TIMEOUT_S (the SYN dropped in the kernel: the address is cooling down)."""
    try:
        return raw_socket(address, source=source, connect_timeout=CONNECT_TIMEOUT_S)
    except socket.timeout:
        return None


def dropped(unit: str) -> dict:
    """The outcome of a connect dropped in the kernel: refused at the door, nothing sent."""
    return {"closed": True, "refused": True, "dropped": True, "goaway": False, "code": None, "processed": 0,
            "answered": 0, "frames": 0, "unit": unit}


def rapid_reset_once(address: str) -> dict:
    """One connection that opens and resets streams in bursts of 100 until the server ends it.
    A connection the server closes without sending anything (not even its SETTINGS) was refused
    at accept (the per-address rate or cool-down); a connect that times out was dropped in the
    kernel (the cool-down's socket filter): both are refused at the door."""
    sock = door_socket(address, RAPID_RESET_FROM)
    if sock is None:
        return dropped("streams opened and reset")
    block = request_block(address)
    send_all(sock, PREFACE + frame(SETTINGS, 0, 0))
    sent, stream = 0, 1
    cancel = struct.pack(">I", 8)  # CANCEL
    for _ in range(20_000 // 100):
        burst = b"".join(frame(HEADERS, END_HEADERS, stream + 2 * i, block) + frame(RST_STREAM, 0, stream + 2 * i, cancel)
                         for i in range(100))
        stream += 200
        if not send_all(sock, burst):
            break
        sent += 100
    closed, code, last, answered, received = goaway_of(sock)
    sock.close()
    return {"closed": closed, "goaway": code is not None, "code": code, "processed": (last + 1) // 2 if last else 0,
            "answered": answered, "frames": sent, "unit": "streams opened and reset",
            "refused": closed and received == 0}


def closed_port_once(address: str) -> dict:
    """The control: the same reconnect loop from the same address against a port nothing
    listens on (the kernel refuses it; no server does any work). What the other client sees
    then is the attacker's own cost to the shared machine, the floor for the cases above."""
    port = closed_port_once.port
    try:
        sock = raw_socket(f"127.0.0.1:{port}", source=RAPID_RESET_FROM)
        sock.close()
    except ConnectionRefusedError:
        pass
    return {"closed": True, "refused": True, "goaway": False, "code": None, "processed": 0, "answered": 0,
            "frames": 0, "unit": "streams opened and reset"}


def interop_server(name: str, **env: str) -> wire_support.ServerProcess:
    port = wire_support.free_port()
    return wire_support.ServerProcess(name, [str(wire_support.binary("xsc-interop-server")), "--port", str(port)],
                                      port, env={**os.environ, **env}).start()


# A server as before the per-address limits: the glitch budget alone.
NO_PEER_LIMITS = {"XSC_PEER_CONNECT_BURST": "0", "XSC_PEER_COOLDOWN_MS": "0"}


def test_rapid_reset(live_server, stubs):
    """CVE-2023-44487: open a stream and reset it at once, thousands of times, on connection
    after connection. Streams a client resets while they are served are glitches (RPCServer's
    glitch budget, burst 100): past the budget the connection ends with
    GOAWAY(ENHANCE_YOUR_CALM) and is read no further, and its address cools down (one connection
    a second, PeerConnectionRates): between those connections its SYNs are dropped by the
    listener's socket filter (XSC_PEER_KERNEL_DROP, on by default), so its reconnect loop costs
    the server nothing; the attacker gives up on a connect after CONNECT_TIMEOUT_S. Four servers
    in the same run, each with its own quiet baseline: the defaults (budget + per-address rate
    and cool-down + kernel drop), the same refusing at accept instead of in the kernel (the state
    before the kernel drop), the glitch budget alone (before the per-address limits), and neither
    (nghttp2's reset-rate limit of 1000 alone); and the control. Asserted: counts only (every
    abusive connection closed, each with ENHANCE_YOUR_CALM or at the door, no reset stream
    answered, fewer streams processed per connection than without the budget, connects dropped
    in the kernel with the defaults, connections refused at accept without the kernel drop);
    the latency figures are printed."""
    cases = {}
    for key, name, env in (
            ("defaults", "rapid reset (glitch budget + per-address rate and cool-down, cooling-down address dropped "
                         "in the kernel: the defaults)", {}),
            ("accept", "rapid reset (the same, refused at accept instead of in the kernel)", {"XSC_PEER_KERNEL_DROP": "0"}),
            ("budget", "rapid reset (glitch budget alone, no per-address limits)", NO_PEER_LIMITS),
            ("none", "rapid reset (no glitch budget: nghttp2's limit alone)",
             {**NO_PEER_LIMITS, "XSC_MAX_GLITCHES_PER_CONNECTION": "100000000"})):
        # XSC_WIRE_TARGET=reference: the defaults' case runs against grpcio's server (live_server),
        # which ends no rapid-reset connection: the assertions below then fail, as they should.
        reference = key == "defaults" and os.environ.get("XSC_WIRE_TARGET") == "reference"
        server = live_server if reference else interop_server(f"xsc-interop-server-rapid-{key}", **env)
        try:
            cases[key] = run_case(name, server, stubs, rapid_reset_once)
            if key == "defaults":
                closed_port_once.port = wire_support.free_port()
                cases["control"] = run_case("control (the same reconnect loop against a closed port: no server work)",
                                            server, stubs, closed_port_once)
        finally:
            if not reference:
                server.stop()

    def processed(outcome):
        counts = sorted(o["processed"] for o in outcome["outcomes"] if not o.get("refused")) or [0]
        return counts[len(counts) // 2], counts[-1]
    median_with, most_with = processed(cases["budget"])
    median_without, most_without = processed(cases["none"])
    defaults, accept, budget, none = cases["defaults"], cases["accept"], cases["budget"], cases["none"]
    dropped = sum(1 for o in defaults["outcomes"] if o.get("dropped"))
    print(f"rapid reset: streams processed per abusive connection (GOAWAY last-stream-id) median {median_with} / most "
          f"{most_with} with the budget, {median_without} / {most_without} without; served abusive connections "
          f"{defaults['connections'] - defaults['refused']} with the per-address limits vs {budget['connections']} "
          f"without them ({defaults['refused'] - dropped:,} refused at accept, {dropped:,} connects dropped in the kernel "
          f"(timed out after {CONNECT_TIMEOUT_S} s); {accept['refused']:,} refused at accept without the kernel drop); "
          f"other client's p99 x baseline: "
          f"{defaults['p99_ratio']:.2f}x with the defaults ({defaults['p99_base']:.2f} -> {defaults['p99_during']:.2f} ms: "
          f"{'within' if defaults['p99_ratio'] <= 2 else 'OVER'} 2x), {accept['p99_ratio']:.2f}x refusing at accept "
          f"instead ({accept['p99_base']:.2f} -> {accept['p99_during']:.2f} ms), {budget['p99_ratio']:.2f}x with the budget alone, "
          f"{none['p99_ratio']:.2f}x with neither; the control (the loop against a closed port, no server work) "
          f"{cases['control']['p99_ratio']:.2f}x ({cases['control']['p99_base']:.2f} -> {cases['control']['p99_during']:.2f} ms)")
    for key in ("defaults", "accept", "budget"):
        outcomes = cases[key]["outcomes"]
        assert cases[key]["closed"] == cases[key]["connections"], f"{key}: every rapid-reset connection must be closed"
        codes = collections.Counter("at accept" if o.get("refused") else o["code"] for o in outcomes)
        assert set(codes) <= {11, "at accept"} and codes[11] >= 1, f"{key}: GOAWAY(ENHANCE_YOUR_CALM) or refused at accept: {codes}"
        assert sum(o["answered"] for o in outcomes) == 0, "a stream reset before it was served gets no response"
    at_accept = sum(1 for o in budget["outcomes"] if o.get("refused") and not o.get("dropped"))
    assert at_accept == 0, "without per-address limits nothing is refused at accept"
    assert accept["refused"] > 0, "the cool-down refuses the abuser's reconnects at accept"
    if os.environ.get("XSC_WIRE_TARGET") != "reference":
        assert dropped > 0, "with the defaults the cooling-down abuser's connects are dropped in the kernel"
    assert most_with < median_without, "the budget ends a connection before nghttp2's limit would"


def test_continuation_flood(live_server, stubs):
    """CVE-2024-27316 class: HEADERS without END_HEADERS, then CONTINUATION frames without end.
    The server must close the connection (nghttp2's max continuations / header list size)."""
    def abuse(address):
        sock = door_socket(address, CONTINUATION_FROM)
        if sock is None:
            return dropped("CONTINUATION frames")
        block = request_block(address)
        send_all(sock, PREFACE + frame(SETTINGS, 0, 0) + frame(HEADERS, 0, 1, block))
        # Each CONTINUATION carries a small literal header (never-indexed, 4-byte name/value).
        piece = bytes([0x10, 4]) + b"x-cf" + bytes([4]) + b"vvvv"
        sent = 0
        for _ in range(50_000 // 100):
            if not send_all(sock, frame(CONTINUATION, 0, 1, piece) * 100):
                break
            sent += 100
        closed, goaway = closed_by_server(sock)
        sock.close()
        return {"closed": closed, "goaway": goaway, "refused": closed and closed_by_server.received == 0, "frames": sent, "unit": "CONTINUATION frames"}
    outcome = run_case("CONTINUATION flood", live_server, stubs, abuse)
    assert outcome["closed"] == outcome["connections"], "a CONTINUATION flood must end the connection"
    # Its connections are short enough that the plain connection rate refuses some at accept
    # anyway; only a cooling-down address has its connects dropped in the kernel.
    assert any(o.get("dropped") for o in outcome["outcomes"]), "the flooding address must cool down"


def test_settings_flood(live_server, stubs):
    """SETTINGS frames sent far faster than their ACKs are read: nghttp2 bounds the queued ACKs
    (max outbound ack) and ends the connection instead of queueing without end."""
    def abuse(address):
        sock = door_socket(address, SETTINGS_FROM)
        if sock is None:
            return dropped("SETTINGS frames, no ACK read,")
        send_all(sock, PREFACE)
        one = frame(SETTINGS, 0, 0, struct.pack(">HI", 0x4, 65535))  # INITIAL_WINDOW_SIZE
        sent = 0
        for _ in range(100_000 // 500):
            if not send_all(sock, one * 500):
                break
            sent += 500
        closed, goaway = closed_by_server(sock)
        sock.close()
        return {"closed": closed, "goaway": goaway, "refused": closed and closed_by_server.received == 0, "frames": sent, "unit": "SETTINGS frames, no ACK read,"}
    outcome = run_case("SETTINGS flood", live_server, stubs, abuse)
    assert outcome["closed"] == outcome["connections"], "a SETTINGS flood must end the connection"
    assert outcome["refused"] > 0, "the flooding address must cool down (later connections refused at the door)"


def test_ping_flood(live_server, stubs):
    """PINGs without calls open and far above the allowed rate: ping strikes (KeepalivePolicy)
    and nghttp2's outbound-ack bound end the connection."""
    def abuse(address):
        sock = door_socket(address, PING_FROM)
        if sock is None:
            return dropped("PINGs")
        send_all(sock, PREFACE + frame(SETTINGS, 0, 0))
        sent = 0
        for _ in range(100_000 // 500):
            if not send_all(sock, frame(PING, 0, 0, b"12345678") * 500):
                break
            sent += 500
        closed, goaway = closed_by_server(sock)
        sock.close()
        return {"closed": closed, "goaway": goaway, "refused": closed and closed_by_server.received == 0, "frames": sent, "unit": "PINGs"}
    outcome = run_case("PING flood", live_server, stubs, abuse)
    assert outcome["closed"] == outcome["connections"], "a PING flood must end the connection"
    assert outcome["refused"] > 0, "the flooding address must cool down (later connections refused at the door)"


def test_slowloris(live_server, stubs):
    """Connections from another loopback address (127.0.0.3), each trickling its preface a byte
    at a time for the whole window. Figures: how many the server still held at the end. There
    is no handshake timeout, so they are bounded only by XSC_MAX_CONNECTIONS_PER_PEER (1024 by
    default); the other client, from 127.0.0.1, is not affected by that cap."""
    count = min(200 * SCALE, 1000)
    done = []

    def abuse(address):
        if done:  # one wave per window: the wave itself lasts the window
            time.sleep(0.05)
            return {"closed": True, "frames": 0, "unit": "bytes", "extra": True}
        sockets, refused = [], 0
        for _ in range(count):
            try:
                sock = raw_socket(address, source="127.0.0.3")
                sock.sendall(PREFACE[:1])
                sockets.append(sock)
            except OSError:
                refused += 1
        sent = len(sockets)
        for index in range(int(WINDOW_S)):
            time.sleep(1.0)
            for sock in list(sockets):
                if send_all(sock, PREFACE[1 + index:2 + index]):
                    sent += 1
                else:
                    sockets.remove(sock)
        held = 0
        for sock in sockets:
            sock.setblocking(False)
            try:
                held += 1 if sock.recv(1) != b"" else 0
            except BlockingIOError:
                held += 1
            except OSError:
                pass
            sock.close()
        done.append(held)
        print(f"\nslowloris: {count} slow connections, {refused} refused at connect, {held} still held by the "
              f"server after {int(WINDOW_S)} s (no handshake timeout; bound: XSC_MAX_CONNECTIONS_PER_PEER)")
        return {"closed": held == 0, "frames": sent, "unit": "bytes"}
    run_case("slowloris", live_server, stubs, abuse)
    assert done and done[0] <= 1024
