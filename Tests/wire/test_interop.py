"""gRPC's published interop cases, grpcio client -> the server under test (xsc-interop-server,
or grpcio's reference server with XSC_WIRE_TARGET=reference)."""
from __future__ import annotations

import grpc
import pytest

import interop_cases
import raw_h2


@pytest.mark.parametrize("case", list(interop_cases.STUB_CASES))
def test_interop_case(case, stubs, test_stub):
    interop_cases.STUB_CASES[case](stubs, test_stub)
    # Cancelled, timed-out and failed calls must leave the server serving.
    interop_cases.empty_unary(stubs, test_stub)


@pytest.mark.parametrize("case", list(interop_cases.CHANNEL_CASES))
def test_interop_unimplemented(case, stubs, channel, test_stub):
    interop_cases.CHANNEL_CASES[case](stubs, channel)
    interop_cases.empty_unary(stubs, test_stub)


def test_server_enforces_grpc_timeout_itself(stubs, live_server):
    """timeout_on_sleeping_server only sees the client give up; this checks the server's side:
    a call whose grpc-timeout passes while the handler sleeps is ended by the server, with
    DEADLINE_EXCEEDED trailers or RST_STREAM(CANCEL) (PROTOCOL-HTTP2.md, "Client Cancellation"),
    well before the handler would have answered."""
    m = stubs.messages_pb2
    # The handler would sleep ten minutes before its one response.
    request = m.StreamingOutputCallRequest(
        response_parameters=[m.ResponseParameters(size=1, interval_us=600_000_000)]
    )
    with raw_h2.RawGrpcConnection(live_server.address) as conn:
        headers = conn.grpc_headers("/grpc.testing.TestService/FullDuplexCall",
                                    extra=[("grpc-timeout", "200m")])
        stream_id = conn.start(headers)
        conn.send(stream_id, raw_h2.grpc_frame(request.SerializeToString()))  # no half-close
        response = conn.wait(stream_id)
        assert response.goaway is None, response.describe()
        deadline_status = response.ended and response.grpc_status == grpc.StatusCode.DEADLINE_EXCEEDED.value[0]
        cancelled = response.reset_code == 8  # RST_STREAM(CANCEL)
        assert deadline_status or cancelled, response.describe()
        assert response.data == b"", "the handler's response must never have been sent"
    with grpc.insecure_channel(live_server.address) as channel:
        interop_cases.empty_unary(stubs, stubs.test_pb2_grpc.TestServiceStub(channel))
