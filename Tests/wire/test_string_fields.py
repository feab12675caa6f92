"""proto3 string fields over the wire, from grpcio with hand-made bytes (grpcio's own encoder
never produces them): invalid UTF-8 and an embedded NUL are refused with INVALID_ARGUMENT naming
the field; before, the first was silently repaired and the second cut the string short."""
from __future__ import annotations

import grpc
import pytest

UNARY_CALL = "/grpc.testing.TestService/UnaryCall"


def simple_request_with_status_message(text: bytes) -> bytes:
    """SimpleRequest { response_status (7) = EchoStatus { message (2) = text } }."""
    status = b"\x12" + bytes([len(text)]) + text
    return b"\x3a" + bytes([len(status)]) + status


@pytest.mark.parametrize("text, reason", [
    (b"ok\xc3\x28", "is not valid UTF-8"),
    (b"ab\x00cd", "contains a NUL character"),
    (b"\xed\xa0\x80", "is not valid UTF-8"),
])
def test_bad_strings_are_invalid_argument_naming_the_field(live_server, stubs, text, reason):
    with grpc.insecure_channel(live_server.address) as channel:
        call = channel.unary_unary(UNARY_CALL, request_serializer=None, response_deserializer=None)
        with pytest.raises(grpc.RpcError) as refused:
            call(simple_request_with_status_message(text), timeout=20)
        assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        assert refused.value.details().startswith(f"response_status.message: {reason}"), refused.value.details()
        # The same field with valid text still reaches the handler (which echoes the status).
        good = stubs.messages_pb2.SimpleRequest(response_status=stubs.messages_pb2.EchoStatus(code=0, message="好的"))
        response = call(good.SerializeToString(), timeout=20)
        assert isinstance(response, bytes)
