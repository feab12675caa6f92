"""The malformed-request battery: requests no gRPC library would send, as raw HTTP/2 frames.

Each case asserts the answer named in MALFORMED.md (beside this file, with its source), then
proves the server still serves: a normal call on the same connection, and one from grpcio.
Every expected answer is in EXPECTED below, so a deliberate change of policy is one edit here
plus one in MALFORMED.md.
"""
from __future__ import annotations

import base64
from dataclasses import dataclass

import grpc
import pytest

import interop_cases
import raw_h2

OK, UNIMPLEMENTED, INTERNAL, RESOURCE_EXHAUSTED = 0, 12, 13, 8
EMPTY_CALL = "/grpc.testing.TestService/EmptyCall"
UNARY_CALL = "/grpc.testing.TestService/UnaryCall"
MAX_MESSAGE = 4 * 1024 * 1024


@dataclass(frozen=True)
class Expected:
    http_statuses: tuple[int, ...]   # accepted :status values
    grpc_status: int | None          # None: only "not OK" is asserted (see MALFORMED.md)


# Header-level rejections: the spec names no HTTP status, and gRPC clients read grpc-status
# whatever :status says, so both grpc-go's 400 and grpc-core's 200 are accepted.
HEADER_ERROR = (200, 400)

EXPECTED = {
    "wrong_content_type": Expected((415,), None),
    "missing_content_type": Expected((415,), None),
    "missing_te": Expected(HEADER_ERROR, INTERNAL),
    "malformed_grpc_timeout": Expected(HEADER_ERROR, INTERNAL),
    "nine_digit_grpc_timeout": Expected(HEADER_ERROR, INTERNAL),
    "bad_bin_base64": Expected(HEADER_ERROR, INTERNAL),
    "get_method": Expected((405,), INTERNAL),
    "compressed_flag_without_encoding": Expected((200,), INTERNAL),
    "compressed_flag_with_identity_encoding": Expected((200,), INTERNAL),
    "unsupported_encoding": Expected((200,), UNIMPLEMENTED),
    "oversized_length_prefix": Expected((200,), RESOURCE_EXHAUSTED),
    "truncated_message": Expected((200,), INTERNAL),
    "undecodable_protobuf": Expected((200,), INTERNAL),
    "unary_zero_messages": Expected((200,), UNIMPLEMENTED),
    "unary_zero_messages_headers_only": Expected((200,), UNIMPLEMENTED),
    "unary_two_messages": Expected((200,), UNIMPLEMENTED),
}

EMPTY_FRAME = raw_h2.grpc_frame(b"")
# A SimpleRequest whose field 3 (payload, length-delimited) claims 10 bytes but has 2.
UNDECODABLE_SIMPLE_REQUEST = b"\x1a\x0a\x00\x00"


def send_case(conn: raw_h2.RawGrpcConnection, case: str) -> raw_h2.RawResponse:
    """Sends the malformed request named `case`; returns the server's answer."""
    h = conn.grpc_headers
    if case == "wrong_content_type":
        return conn.request(h(EMPTY_CALL, content_type="application/json"), EMPTY_FRAME)
    if case == "missing_content_type":
        return conn.request(h(EMPTY_CALL, content_type=None), EMPTY_FRAME)
    if case == "missing_te":
        return conn.request(h(EMPTY_CALL, te=False), EMPTY_FRAME)
    if case == "malformed_grpc_timeout":
        return conn.request(h(EMPTY_CALL, extra=[("grpc-timeout", "1x")]), EMPTY_FRAME)
    if case == "nine_digit_grpc_timeout":
        return conn.request(h(EMPTY_CALL, extra=[("grpc-timeout", "123456789S")]), EMPTY_FRAME)
    if case == "bad_bin_base64":
        return conn.request(h(EMPTY_CALL, extra=[("x-grpc-test-echo-trailing-bin", "!!not*base64!!")]),
                            EMPTY_FRAME)
    if case == "get_method":
        return conn.request(h(EMPTY_CALL, method="GET"), None)
    if case == "compressed_flag_without_encoding":
        return conn.request(h(EMPTY_CALL), raw_h2.grpc_frame(b"", compressed=True))
    if case == "compressed_flag_with_identity_encoding":
        return conn.request(h(EMPTY_CALL, extra=[("grpc-encoding", "identity")]),
                            raw_h2.grpc_frame(b"", compressed=True))
    if case == "unsupported_encoding":
        return conn.request(h(EMPTY_CALL, extra=[("grpc-encoding", "x-xsc-unknown")]),
                            raw_h2.grpc_frame(b"\x01\x02\x03", compressed=True))
    if case == "oversized_length_prefix":
        # Declares one byte over the limit, sends a few bytes and keeps the stream open: the
        # answer must come from the length prefix alone, before any buffering of the body.
        stream_id = conn.start(h(UNARY_CALL))
        conn.send(stream_id, raw_h2.grpc_frame(b"\x00" * 16, declared_length=MAX_MESSAGE + 1))
        return conn.wait(stream_id)
    if case == "truncated_message":
        return conn.request(h(EMPTY_CALL), raw_h2.grpc_frame(b"\x00" * 10, declared_length=100))
    if case == "undecodable_protobuf":
        return conn.request(h(UNARY_CALL), raw_h2.grpc_frame(UNDECODABLE_SIMPLE_REQUEST))
    if case == "unary_zero_messages":
        return conn.request(h(EMPTY_CALL), b"")
    if case == "unary_zero_messages_headers_only":
        return conn.request(h(EMPTY_CALL), None)
    if case == "unary_two_messages":
        return conn.request(h(EMPTY_CALL), EMPTY_FRAME + EMPTY_FRAME)
    raise KeyError(case)


def assert_normal_call_succeeds(conn: raw_h2.RawGrpcConnection) -> None:
    response = conn.request(conn.grpc_headers(EMPTY_CALL), EMPTY_FRAME)
    assert response.http_status == 200 and response.grpc_status == OK, response.describe()
    assert response.messages == [b""], response.describe()


@pytest.mark.parametrize("case", list(EXPECTED))
def test_malformed_request(case, stubs, live_server):
    expected = EXPECTED[case]
    with raw_h2.RawGrpcConnection(live_server.address) as conn:
        response = send_case(conn, case)
        assert response.goaway is None, f"a stream error must not end the connection: {response.describe()}"
        assert response.ended, f"expected a response, got a bare RST_STREAM: {response.describe()}"
        assert response.http_status in expected.http_statuses, response.describe()
        if expected.grpc_status is None:
            assert response.grpc_status != OK, response.describe()
        else:
            assert response.grpc_status == expected.grpc_status, response.describe()
        assert response.messages == [], f"no response message may be sent: {response.describe()}"

        if case == "unsupported_encoding":
            accepted = response.trailer_or_header("grpc-accept-encoding")
            assert accepted is not None, f"UNIMPLEMENTED must list the accepted encodings: {response.describe()}"
            assert "x-xsc-unknown" not in [e.strip() for e in accepted.split(",")]

        # The same connection, then a fresh grpcio channel, still get normal answers.
        assert_normal_call_succeeds(conn)
    with grpc.insecure_channel(live_server.address) as channel:
        interop_cases.empty_unary(stubs, stubs.test_pb2_grpc.TestServiceStub(channel))


@pytest.mark.parametrize("encoded", ["qw==", "qw"], ids=["padded", "unpadded"])
def test_bin_header_padded_and_unpadded_accepted(encoded, live_server):
    """PROTOCOL-HTTP2.md: implementations MUST accept padded and un-padded base64."""
    with raw_h2.RawGrpcConnection(live_server.address) as conn:
        headers = conn.grpc_headers(EMPTY_CALL, extra=[("x-grpc-test-echo-trailing-bin", encoded)])
        response = conn.request(headers, EMPTY_FRAME)
        assert response.grpc_status == OK, response.describe()
        echoed = response.trailer_or_header("x-grpc-test-echo-trailing-bin")
        assert echoed is not None, response.describe()
        assert base64.b64decode(echoed + "=" * (-len(echoed) % 4)) == b"\xab"


def test_eight_digit_grpc_timeout_accepted(live_server):
    """The longest timeout the spec allows (8 digits) is valid."""
    with raw_h2.RawGrpcConnection(live_server.address) as conn:
        headers = conn.grpc_headers(EMPTY_CALL, extra=[("grpc-timeout", "99999999S")])
        response = conn.request(headers, EMPTY_FRAME)
        assert response.grpc_status == OK, response.describe()


def test_message_at_the_limit_accepted(stubs, live_server):
    """The limit is 4 MiB inclusive: a request of exactly 4 MiB is served (the counterpart of
    oversized_length_prefix)."""
    m = stubs.messages_pb2
    # Grow the body until the encoded request is exactly the limit.
    body_size = MAX_MESSAGE - 16
    while True:
        encoded = m.SimpleRequest(response_size=1, payload=m.Payload(body=bytes(body_size))).SerializeToString()
        if len(encoded) == MAX_MESSAGE:
            break
        body_size += MAX_MESSAGE - len(encoded)
    with raw_h2.RawGrpcConnection(live_server.address) as conn:
        response = conn.request(conn.grpc_headers(UNARY_CALL), raw_h2.grpc_frame(encoded))
        assert response.grpc_status == OK, response.describe()
        assert len(response.messages) == 1
