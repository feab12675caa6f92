"""grpc.testing.TestService on grpcio, as gRPC's interop test descriptions define the server.

The peer for our Swift interop client (test_reverse_interop.py), and the reference the test
suites can be pointed at to check the tests themselves (XSC_WIRE_TARGET=reference).

    python3 interop_server.py --port N --stubs-dir DIR   (DIR: stubs made by wire_support)
"""
from __future__ import annotations

import argparse
import signal
import sys
import threading
import time
from concurrent import futures
from pathlib import Path

import grpc

import wire_support

ECHO_INITIAL = "x-grpc-test-echo-initial"
ECHO_TRAILING = "x-grpc-test-echo-trailing-bin"
CODES = {code.value[0]: code for code in grpc.StatusCode}


def make_service(stubs: wire_support.Stubs):
    messages = stubs.messages_pb2
    empty = stubs.empty_pb2

    def echo_metadata(context) -> None:
        received = dict(context.invocation_metadata())
        if ECHO_INITIAL in received:
            context.send_initial_metadata([(ECHO_INITIAL, received[ECHO_INITIAL])])
        if ECHO_TRAILING in received:
            context.set_trailing_metadata([(ECHO_TRAILING, received[ECHO_TRAILING])])

    def payload(size: int):
        if size < 0:
            raise ValueError("negative size")
        return messages.Payload(type=messages.COMPRESSABLE, body=bytes(size))

    def abort_if_status_requested(request, context) -> None:
        if request.HasField("response_status") and request.response_status.code != 0:
            code = CODES.get(request.response_status.code, grpc.StatusCode.UNKNOWN)
            context.abort(code, request.response_status.message)

    def reject_expected_compression(request, context) -> None:
        # This server never receives compressed requests (it enables no decompressor), so a
        # client probing the CompressedRequest feature gets the "unsupported" answer.
        if request.HasField("expect_compressed") and request.expect_compressed.value:
            context.abort(grpc.StatusCode.INVALID_ARGUMENT, "compressed requests are not expected")

    def stream_responses(request, context):
        for params in request.response_parameters:
            if params.interval_us > 0:
                # Sleeps in small steps so a cancelled call stops promptly.
                wake_at = time.monotonic() + params.interval_us / 1e6
                while time.monotonic() < wake_at:
                    if not context.is_active():
                        return
                    time.sleep(min(0.01, max(0.0, wake_at - time.monotonic())))
            yield messages.StreamingOutputCallResponse(payload=payload(params.size))

    class TestService(stubs.test_pb2_grpc.TestServiceServicer):
        def EmptyCall(self, request, context):
            echo_metadata(context)
            return empty.Empty()

        def UnaryCall(self, request, context):
            echo_metadata(context)
            abort_if_status_requested(request, context)
            reject_expected_compression(request, context)
            return messages.SimpleResponse(payload=payload(request.response_size))

        def CacheableUnaryCall(self, request, context):
            echo_metadata(context)
            body = str(time.time_ns()).encode()
            return messages.SimpleResponse(payload=messages.Payload(body=body))

        def StreamingOutputCall(self, request, context):
            echo_metadata(context)
            abort_if_status_requested(request, context)
            yield from stream_responses(request, context)

        def StreamingInputCall(self, request_iterator, context):
            echo_metadata(context)
            total = 0
            for request in request_iterator:
                reject_expected_compression(request, context)
                total += len(request.payload.body)
            return messages.StreamingInputCallResponse(aggregated_payload_size=total)

        def FullDuplexCall(self, request_iterator, context):
            echo_metadata(context)
            for request in request_iterator:
                abort_if_status_requested(request, context)
                yield from stream_responses(request, context)

        def HalfDuplexCall(self, request_iterator, context):
            echo_metadata(context)
            requests = list(request_iterator)
            for request in requests:
                abort_if_status_requested(request, context)
                yield from stream_responses(request, context)

        # UnimplementedCall is deliberately left to the generated base class: UNIMPLEMENTED.

    return TestService()


def add_standard_services(server, stubs: wire_support.Stubs) -> None:
    """Health and reflection, as every XSC server has them, so the health/reflection tests can
    be pointed at this server too. grpcio-reflection serves only v1alpha; v1 has the same
    messages, so the same servicer is mounted on the v1 path as well."""
    from grpc_health.v1 import health, health_pb2, health_pb2_grpc
    from grpc_reflection.v1alpha import reflection, reflection_pb2

    health_servicer = health.HealthServicer()
    for name in ("", "grpc.testing.TestService"):
        health_servicer.set(name, health_pb2.HealthCheckResponse.SERVING)
    health_pb2_grpc.add_HealthServicer_to_server(health_servicer, server)

    names = ["grpc.testing.TestService", "grpc.health.v1.Health",
             "grpc.reflection.v1.ServerReflection", reflection.SERVICE_NAME]
    reflection.enable_server_reflection(names, server)
    v1_servicer = reflection.ReflectionServicer(names)
    server.add_generic_rpc_handlers([grpc.method_handlers_generic_handler(
        "grpc.reflection.v1.ServerReflection",
        {"ServerReflectionInfo": grpc.stream_stream_rpc_method_handler(
            v1_servicer.ServerReflectionInfo,
            request_deserializer=reflection_pb2.ServerReflectionRequest.FromString,
            response_serializer=reflection_pb2.ServerReflectionResponse.SerializeToString,
        )},
    )])


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--stubs-dir", type=Path, required=True)
    args = parser.parse_args()

    stubs = wire_support.load_stubs(args.stubs_dir)
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=16))
    stubs.test_pb2_grpc.add_TestServiceServicer_to_server(make_service(stubs), server)
    add_standard_services(server, stubs)
    server.add_insecure_port(f"127.0.0.1:{args.port}")
    server.start()
    print(f"grpcio interop server on 127.0.0.1:{args.port}", flush=True)

    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    stop.wait()
    server.stop(grace=2).wait()
    return 0


if __name__ == "__main__":
    sys.exit(main())
