"""Inbound backpressure: a bidirectional client that streams requests but never reads the
replies. The handler blocks on its unread replies and stops reading requests; the server then
stops giving the client's requests back to its flow-control window, so the client can send no
more than the window, and the server's memory does not follow what the client tries to send.
Before, nghttp2 acknowledged every DATA frame at once and the call's queue grew without end."""
from __future__ import annotations

import socket
import time

import h2.events

import raw_h2
from test_abuse_headers import rss_kib

FULL_DUPLEX = "/grpc.testing.TestService/FullDuplexCall"
ATTEMPT_BYTES = 96 * 1024 * 1024   # what the client tries to push
STALL_S = 3.0                      # no window for this long: the server holds the client back


def request_bytes(stubs, payload: int, reply: int) -> bytes:
    pb = stubs.messages_pb2
    message = pb.StreamingOutputCallRequest(response_parameters=[pb.ResponseParameters(size=reply)],
                                            payload=pb.Payload(body=b"r" * payload))
    return raw_h2.grpc_frame(message.SerializeToString())


def test_a_client_that_never_reads_is_held_to_the_window(live_server, stubs):
    from test_abuse_h2 import Prober, percentile
    pid = live_server.proc.pid
    # Another client's latency, quiet and then while this one pushes (figures as in test_abuse_h2).
    quiet, quiet_failures = Prober(live_server.address, stubs, 2.0).result()
    assert not quiet_failures, quiet_failures[:5]
    prober = Prober(live_server.address, stubs, 2.0 + STALL_S)
    before = rss_kib(pid)
    frame = request_bytes(stubs, payload=60_000, reply=60_000)
    sent = 0
    with raw_h2.RawGrpcConnection(live_server.address) as conn:
        stream_id = conn.start(conn.grpc_headers(FULL_DUPLEX))
        conn.sock.settimeout(0.2)
        stalled_since = None
        while sent < ATTEMPT_BYTES:
            window = min(conn.conn.local_flow_control_window(stream_id), conn.conn.max_outbound_frame_size)
            if window > 0:
                chunk = frame[sent % len(frame):][:window]
                conn.conn.send_data(stream_id, chunk)
                conn.sock.sendall(conn.conn.data_to_send())
                sent += len(chunk)
                stalled_since = None
                continue
            # No window: read frames (WINDOW_UPDATEs would come here) but acknowledge none of
            # the replies, like a client that never reads its responses.
            stalled_since = stalled_since or time.monotonic()
            if time.monotonic() - stalled_since > STALL_S:
                break
            try:
                data = conn.sock.recv(65536)
            except socket.timeout:
                continue
            assert data, "the server closed the connection"
            for event in conn.conn.receive_data(data):
                assert not isinstance(event, h2.events.ConnectionTerminated), event
            pending = conn.conn.data_to_send()
            if pending:
                conn.sock.sendall(pending)
        after = rss_kib(pid)
        during, failures = prober.result()
    ratio = percentile(during, 99) / percentile(quiet, 99)
    # Not closed: a client that reads slowly is not an abuser, and the window is what bounds it
    # (its call's deadline, or keepalive if it is gone, ends it).
    print(f"\nnever-reading bidi client: sent {sent / 2**20:.1f} MiB of the {ATTEMPT_BYTES / 2**20:.0f} MiB it tried, "
          f"then the window stayed shut (connection held, not closed); server RSS {before:,} KiB -> {after:,} KiB; "
          f"other client p99 {percentile(quiet, 99):.2f} -> {percentile(during, 99):.2f} ms ({ratio:.2f}x baseline: "
          f"{'within' if ratio <= 2 else 'OVER'} 2x), {len(during)} calls, {len(failures)} failed")
    assert not failures, failures[:5]
    assert sent < 24 * 2**20, f"the client pushed {sent / 2**20:.1f} MiB: the server kept opening the window"
    assert after - before < 64 * 1024, f"server RSS grew {(after - before) / 1024:.0f} MiB"
    # Still serving.
    with raw_h2.RawGrpcConnection(live_server.address) as again:
        ok = again.request(again.grpc_headers("/grpc.testing.TestService/EmptyCall"), raw_h2.grpc_frame(b""))
        assert ok.grpc_status == 0
