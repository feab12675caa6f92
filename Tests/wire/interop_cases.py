"""Client side of gRPC's interop test cases, with grpcio (doc/interop-test-descriptions.md of
grpc/grpc). Each function runs one case against a TestService stub and raises AssertionError
when the server misbehaves."""
from __future__ import annotations

import queue
import threading

import grpc

# Bounds every call so a misbehaving server fails a test instead of hanging the suite. A
# liveness bound, never a performance assertion.
CALL_TIMEOUT_S = 60

ECHO_INITIAL = ("x-grpc-test-echo-initial", "test_initial_metadata_value")
ECHO_TRAILING = ("x-grpc-test-echo-trailing-bin", b"\xab\xab\xab")
SPECIAL_STATUS_MESSAGE = "\t\ntest with whitespace\r\nand Unicode BMP \u263a and non-BMP \U0001f608\t\n"


class RequestQueue:
    """A request iterator fed one message at a time, for calls that interleave sending and
    receiving (ping-pong). `close()` half-closes the call."""

    _CLOSE = object()

    def __init__(self):
        self._queue: queue.Queue = queue.Queue()

    def send(self, request) -> None:
        self._queue.put(request)

    def close(self) -> None:
        self._queue.put(self._CLOSE)

    def __iter__(self):
        while True:
            item = self._queue.get()
            if item is self._CLOSE:
                return
            yield item


def zeros_payload(m, size: int):
    return m.Payload(type=m.COMPRESSABLE, body=bytes(size))


def expect_rpc_error(code: grpc.StatusCode, fn, *args, **kwargs) -> grpc.RpcError:
    try:
        fn(*args, **kwargs)
    except grpc.RpcError as error:
        assert error.code() == code, f"expected {code}, got {error.code()}: {error.details()!r}"
        return error
    raise AssertionError(f"expected the call to fail with {code}, it succeeded")


def empty_unary(stubs, stub) -> None:
    response = stub.EmptyCall(stubs.empty_pb2.Empty(), timeout=CALL_TIMEOUT_S)
    assert isinstance(response, stubs.empty_pb2.Empty)
    assert response.ByteSize() == 0


def large_unary(stubs, stub) -> None:
    m = stubs.messages_pb2
    request = m.SimpleRequest(
        response_type=m.COMPRESSABLE, response_size=314159, payload=zeros_payload(m, 271828)
    )
    response = stub.UnaryCall(request, timeout=CALL_TIMEOUT_S)
    assert len(response.payload.body) == 314159
    assert response.payload.body == bytes(314159)


def client_streaming(stubs, stub) -> None:
    m = stubs.messages_pb2
    sizes = [27182, 8, 1828, 45904]
    requests = (m.StreamingInputCallRequest(payload=zeros_payload(m, n)) for n in sizes)
    response = stub.StreamingInputCall(requests, timeout=CALL_TIMEOUT_S)
    assert response.aggregated_payload_size == 74922


def server_streaming(stubs, stub) -> None:
    m = stubs.messages_pb2
    sizes = [31415, 9, 2653, 58979]
    request = m.StreamingOutputCallRequest(
        response_type=m.COMPRESSABLE,
        response_parameters=[m.ResponseParameters(size=n) for n in sizes],
    )
    responses = list(stub.StreamingOutputCall(request, timeout=CALL_TIMEOUT_S))
    assert [len(r.payload.body) for r in responses] == sizes
    assert all(r.payload.body == bytes(len(r.payload.body)) for r in responses)


def ping_pong(stubs, stub) -> None:
    m = stubs.messages_pb2
    requests = RequestQueue()
    call = stub.FullDuplexCall(iter(requests), timeout=CALL_TIMEOUT_S)
    try:
        for response_size, request_size in [(31415, 27182), (9, 8), (2653, 1828), (58979, 45904)]:
            requests.send(m.StreamingOutputCallRequest(
                response_type=m.COMPRESSABLE,
                response_parameters=[m.ResponseParameters(size=response_size)],
                payload=zeros_payload(m, request_size),
            ))
            response = next(call)
            assert len(response.payload.body) == response_size
            assert response.payload.body == bytes(response_size)
        requests.close()
        leftover = list(call)
        assert leftover == [], f"expected exactly four responses, got {4 + len(leftover)}"
        assert call.code() == grpc.StatusCode.OK
    finally:
        requests.close()
        call.cancel()


def empty_stream(stubs, stub) -> None:
    call = stub.FullDuplexCall(iter([]), timeout=CALL_TIMEOUT_S)
    assert list(call) == []
    assert call.code() == grpc.StatusCode.OK


def _echo_status_request(m, message_type, message: str):
    return message_type(response_status=m.EchoStatus(code=2, message=message))


def status_code_and_message(stubs, stub) -> None:
    m = stubs.messages_pb2
    text = "test status message"
    error = expect_rpc_error(
        grpc.StatusCode.UNKNOWN, stub.UnaryCall,
        _echo_status_request(m, m.SimpleRequest, text), timeout=CALL_TIMEOUT_S,
    )
    assert error.details() == text

    call = stub.FullDuplexCall(
        iter([_echo_status_request(m, m.StreamingOutputCallRequest, text)]), timeout=CALL_TIMEOUT_S
    )
    error = expect_rpc_error(grpc.StatusCode.UNKNOWN, list, call)
    assert error.details() == text


def special_status_message(stubs, stub) -> None:
    m = stubs.messages_pb2
    error = expect_rpc_error(
        grpc.StatusCode.UNKNOWN, stub.UnaryCall,
        _echo_status_request(m, m.SimpleRequest, SPECIAL_STATUS_MESSAGE), timeout=CALL_TIMEOUT_S,
    )
    assert error.details() == SPECIAL_STATUS_MESSAGE


def _assert_echoed(initial, trailing) -> None:
    assert ECHO_INITIAL in list(initial), f"initial metadata {initial} lacks {ECHO_INITIAL}"
    assert ECHO_TRAILING in list(trailing), f"trailing metadata {trailing} lacks {ECHO_TRAILING}"


def custom_metadata(stubs, stub) -> None:
    m = stubs.messages_pb2
    metadata = [ECHO_INITIAL, ECHO_TRAILING]

    request = m.SimpleRequest(
        response_type=m.COMPRESSABLE, response_size=314159, payload=zeros_payload(m, 271828)
    )
    response, call = stub.UnaryCall.with_call(request, metadata=metadata, timeout=CALL_TIMEOUT_S)
    assert len(response.payload.body) == 314159
    _assert_echoed(call.initial_metadata(), call.trailing_metadata())

    request = m.StreamingOutputCallRequest(
        response_type=m.COMPRESSABLE,
        response_parameters=[m.ResponseParameters(size=314159)],
        payload=zeros_payload(m, 271828),
    )
    call = stub.FullDuplexCall(iter([request]), metadata=metadata, timeout=CALL_TIMEOUT_S)
    responses = list(call)
    assert [len(r.payload.body) for r in responses] == [314159]
    _assert_echoed(call.initial_metadata(), call.trailing_metadata())


def unimplemented_method(stubs, channel) -> None:
    empty = stubs.empty_pb2.Empty
    call = channel.unary_unary(
        "/grpc.testing.TestService/UnimplementedCall",
        request_serializer=empty.SerializeToString, response_deserializer=empty.FromString,
    )
    expect_rpc_error(grpc.StatusCode.UNIMPLEMENTED, call, empty(), timeout=CALL_TIMEOUT_S)


def unimplemented_service(stubs, channel) -> None:
    empty = stubs.empty_pb2.Empty
    call = channel.unary_unary(
        "/grpc.testing.UnimplementedService/UnimplementedCall",
        request_serializer=empty.SerializeToString, response_deserializer=empty.FromString,
    )
    expect_rpc_error(grpc.StatusCode.UNIMPLEMENTED, call, empty(), timeout=CALL_TIMEOUT_S)


def cancel_after_begin(stubs, stub) -> None:
    never_sent = threading.Event()

    def no_requests_yet():
        never_sent.wait()  # keeps the request stream open, with nothing sent
        return
        yield  # a generator

    future = stub.StreamingInputCall.future(no_requests_yet(), timeout=CALL_TIMEOUT_S)
    try:
        assert future.cancel()
        assert future.cancelled()
        assert future.code() == grpc.StatusCode.CANCELLED
    finally:
        never_sent.set()


def cancel_after_first_response(stubs, stub) -> None:
    m = stubs.messages_pb2
    requests = RequestQueue()
    call = stub.FullDuplexCall(iter(requests), timeout=CALL_TIMEOUT_S)
    try:
        requests.send(m.StreamingOutputCallRequest(
            response_type=m.COMPRESSABLE,
            response_parameters=[m.ResponseParameters(size=31415)],
            payload=zeros_payload(m, 27182),
        ))
        assert len(next(call).payload.body) == 31415
        call.cancel()
        expect_rpc_error(grpc.StatusCode.CANCELLED, next, call)
        assert call.code() == grpc.StatusCode.CANCELLED
    finally:
        requests.close()


def timeout_on_sleeping_server(stubs, stub) -> None:
    m = stubs.messages_pb2
    requests = RequestQueue()
    call = stub.FullDuplexCall(iter(requests), timeout=0.001)
    try:
        requests.send(m.StreamingOutputCallRequest(payload=zeros_payload(m, 27182)))
        error = expect_rpc_error(grpc.StatusCode.DEADLINE_EXCEEDED, list, call)
        assert error.code() == grpc.StatusCode.DEADLINE_EXCEEDED
    finally:
        requests.close()


# Cases that take a stub; the unimplemented ones take the channel (they call paths the stub
# may not have).
STUB_CASES = {
    "empty_unary": empty_unary,
    "large_unary": large_unary,
    "client_streaming": client_streaming,
    "server_streaming": server_streaming,
    "ping_pong": ping_pong,
    "empty_stream": empty_stream,
    "status_code_and_message": status_code_and_message,
    "special_status_message": special_status_message,
    "custom_metadata": custom_metadata,
    "cancel_after_begin": cancel_after_begin,
    "cancel_after_first_response": cancel_after_first_response,
    "timeout_on_sleeping_server": timeout_on_sleeping_server,
}
CHANNEL_CASES = {
    "unimplemented_method": unimplemented_method,
    "unimplemented_service": unimplemented_service,
}
ALL_CASES = [*STUB_CASES, *CHANNEL_CASES]
