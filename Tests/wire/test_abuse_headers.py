"""HPACK amplification: a few KiB of HEADERS frames that decode to megabytes (one large field
put in the dynamic table once, then named by a one-byte index thousands of times). The server
advertises MAX_HEADER_LIST_SIZE (16 KiB) and must enforce it on what it decodes: the stream is
reset, the server's memory does not follow the decoded size, and the connection and the server
go on serving. Prints the figures it measures."""
from __future__ import annotations

import functools

import hpack

import raw_h2

EMPTY_CALL = "/grpc.testing.TestService/EmptyCall"
EMPTY_FRAME = raw_h2.grpc_frame(b"")


def rss_kib(pid: int) -> int:
    with open(f"/proc/{pid}/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmRSS:"))


BIG = ("x-bomb", "b" * 3900)


def encoded_size(headers) -> int:
    return len(hpack.Encoder().encode(headers))


def test_an_hpack_bomb_is_refused_without_decoding_it_into_memory(live_server):
    pid = live_server.proc.pid
    refused = []
    with raw_h2.RawGrpcConnection(live_server.address) as warm:
        assert warm.request(warm.grpc_headers(EMPTY_CALL), EMPTY_FRAME).grpc_status == 0
    before = rss_kib(pid)
    for _ in range(5):
        # h2's HPACK encoder indexes the large field once and names it by index afterwards:
        # exactly the amplification an attacker would send.
        with raw_h2.RawGrpcConnection(live_server.address) as conn:
            headers = conn.grpc_headers(EMPTY_CALL) + [BIG] * 4000
            stream_id = conn.start(headers, end_stream=True)
            refused.append(conn.wait(stream_id))
    after = rss_kib(pid)
    headers = [(":path", EMPTY_CALL)] + [BIG] * 4000
    encoded = encoded_size(headers)
    decoded = sum(len(name) + len(value) + 32 for name, value in headers)
    assert decoded > 1000 * encoded, "the block must amplify, or the test proves nothing"
    print(f"\nHPACK bomb: {encoded:,} bytes on the wire decode to {decoded:,} bytes "
          f"({decoded // encoded}x); server RSS {before:,} KiB -> {after:,} KiB over {len(refused)} blocks; "
          f"answers: {[r.reset_code if r.reset_code is not None else r.grpc_status for r in refused]}")
    assert all(r.reset_code is not None or (r.grpc_status not in (None, 0)) or r.goaway is not None for r in refused), \
        [r.describe() for r in refused]
    assert after - before < 16 * 1024, f"RSS grew {after - before} KiB for blocks refused at 16 KiB each"
    # The server still serves, on a new connection.
    with raw_h2.RawGrpcConnection(live_server.address) as again:
        assert again.request(again.grpc_headers(EMPTY_CALL), EMPTY_FRAME).grpc_status == 0




HPACK_BOMB_FROM = "127.0.0.7"  # the abuser's own address: cool-downs are per address


@functools.lru_cache(maxsize=None)
def bomb_blocks(address: str) -> tuple[bytes, bytes]:
    """The first block (which puts the large field in the dynamic table) and the block every
    later one repeats (the field by index only), encoded once: an attacker does not spend a
    pure-Python HPACK encoding per block, and at that pace the bombs would fit the budget."""
    encoder = hpack.Encoder()
    headers = [(":method", "POST"), (":scheme", "http"), (":path", EMPTY_CALL), (":authority", address),
               ("content-type", "application/grpc"), ("te", "trailers")] + [BIG] * 4000
    return encoder.encode(headers), encoder.encode(headers)


def hpack_bombs_once(address: str) -> dict:
    """One connection that sends bomb after bomb (each block names the large field 4,000 times
    by its index) until the server ends it: each refused block is a glitch, so the glitch budget
    ends the connection and the address cools down."""
    from test_abuse_h2 import (END_HEADERS, END_STREAM, HEADERS, PREFACE, SETTINGS, closed_by_server, door_socket, dropped,
                               frame, send_all)
    sock = door_socket(address, HPACK_BOMB_FROM)
    if sock is None:  # dropped in the kernel while the address cools down: refused at the door
        return dropped("bomb blocks")
    sent = 0
    if send_all(sock, PREFACE + frame(SETTINGS, 0, 0)):
        for stream in range(1, 2 * 200, 2):
            if not send_all(sock, frame(HEADERS, END_HEADERS | END_STREAM, stream, bomb_blocks(address)[min(stream // 2, 1)])):
                break
            sent += 1
    closed, goaway = closed_by_server(sock)
    sock.close()
    return {"closed": closed, "goaway": goaway, "refused": closed and closed_by_server.received == 0,
            "frames": sent, "unit": "bomb blocks"}


def test_repeated_hpack_bombs_end_the_connection_and_spare_other_clients(live_server, stubs):
    """The bomb loop an attacker would run, while another client calls: figures as in
    test_abuse_h2 (other client's p99 against its quiet baseline, RSS, connections closed)."""
    from test_abuse_h2 import run_case
    outcome = run_case("HPACK bombs", live_server, stubs, hpack_bombs_once)
    assert outcome["closed"] == outcome["connections"], "a connection sending bomb after bomb must be ended"
