"""The standard services every XSC server carries, checked with grpcio's own clients:
grpc.health.v1.Health (grpcio-health-checking) and server reflection v1alpha
(grpcio-reflection) and v1 (same messages, the v1 path)."""
from __future__ import annotations

import grpc
import pytest
from google.protobuf import descriptor_pb2, descriptor_pool
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc
from grpc_reflection.v1alpha.proto_reflection_descriptor_database import (
    ProtoReflectionDescriptorDatabase,
)

CALL_TIMEOUT_S = 30  # liveness bound only
TEST_SERVICE = "grpc.testing.TestService"
SERVING = health_pb2.HealthCheckResponse.SERVING


@pytest.fixture
def health(channel):
    return health_pb2_grpc.HealthStub(channel)


@pytest.mark.parametrize("service", ["", TEST_SERVICE], ids=["server", "TestService"])
def test_health_check_serving(health, service):
    response = health.Check(health_pb2.HealthCheckRequest(service=service), timeout=CALL_TIMEOUT_S)
    assert response.status == SERVING


def test_health_check_unknown_service_is_not_found(health):
    # grpc/grpc doc/health-checking.md: unknown service -> NOT_FOUND.
    with pytest.raises(grpc.RpcError) as failure:
        health.Check(health_pb2.HealthCheckRequest(service="no.such.Service"), timeout=CALL_TIMEOUT_S)
    assert failure.value.code() == grpc.StatusCode.NOT_FOUND


@pytest.mark.parametrize("service", ["", TEST_SERVICE], ids=["server", "TestService"])
def test_health_watch_sends_current_status_first(health, service):
    call = health.Watch(health_pb2.HealthCheckRequest(service=service), timeout=CALL_TIMEOUT_S)
    try:
        assert next(call).status == SERVING
    finally:
        call.cancel()


def test_health_watch_unknown_service_reports_service_unknown(health):
    # doc/health-checking.md: Watch answers SERVICE_UNKNOWN (it does not fail) for an unknown
    # service, and keeps watching.
    call = health.Watch(health_pb2.HealthCheckRequest(service="no.such.Service"), timeout=CALL_TIMEOUT_S)
    try:
        assert next(call).status == health_pb2.HealthCheckResponse.SERVICE_UNKNOWN
    finally:
        call.cancel()


def test_health_list_includes_server_and_test_service(health):
    response = health.List(health_pb2.HealthListRequest(), timeout=CALL_TIMEOUT_S)
    assert response.statuses[""].status == SERVING
    assert response.statuses[TEST_SERVICE].status == SERVING


def reflection_exchange(channel, path: str, requests):
    """One ServerReflectionInfo stream on `path`; v1 and v1alpha messages are the same on the
    wire, so the v1alpha classes serve for both."""
    call = channel.stream_stream(
        path,
        request_serializer=reflection_pb2.ServerReflectionRequest.SerializeToString,
        response_deserializer=reflection_pb2.ServerReflectionResponse.FromString,
    )
    return list(call(iter(requests), timeout=CALL_TIMEOUT_S))


REFLECTION_PATHS = {
    "v1": "/grpc.reflection.v1.ServerReflection/ServerReflectionInfo",
    "v1alpha": "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo",
}


@pytest.mark.parametrize("version", list(REFLECTION_PATHS))
def test_reflection_lists_services(channel, version):
    [response] = reflection_exchange(
        channel, REFLECTION_PATHS[version], [reflection_pb2.ServerReflectionRequest(list_services="")]
    )
    names = {s.name for s in response.list_services_response.service}
    assert {TEST_SERVICE, "grpc.health.v1.Health", "grpc.reflection.v1.ServerReflection",
            "grpc.reflection.v1alpha.ServerReflection"} <= names, names


@pytest.mark.parametrize("version", list(REFLECTION_PATHS))
def test_reflection_descriptor_of_test_service_resolves(channel, version):
    """file_containing_symbol, then file_by_filename for every missing dependency, until a
    descriptor pool can be built and the service's methods found in it."""
    path = REFLECTION_PATHS[version]
    files: dict[str, descriptor_pb2.FileDescriptorProto] = {}

    def absorb(responses):
        for response in responses:
            assert not response.HasField("error_response"), response.error_response
            for raw in response.file_descriptor_response.file_descriptor_proto:
                proto = descriptor_pb2.FileDescriptorProto.FromString(raw)
                files[proto.name] = proto

    absorb(reflection_exchange(channel, path, [
        reflection_pb2.ServerReflectionRequest(file_containing_symbol=TEST_SERVICE)]))
    assert files, "no descriptor returned for the service"
    while missing := {d for f in files.values() for d in f.dependency} - set(files):
        absorb(reflection_exchange(channel, path, [
            reflection_pb2.ServerReflectionRequest(file_by_filename=name) for name in sorted(missing)]))
        still_missing = missing - set(files)
        assert not still_missing, f"server did not return {still_missing}"

    pool = descriptor_pool.DescriptorPool()
    added: set[str] = set()

    def add(name: str) -> None:  # dependencies before dependents
        if name in added:
            return
        for dependency in files[name].dependency:
            add(dependency)
        pool.Add(files[name])
        added.add(name)

    for name in files:
        add(name)
    unary = pool.FindMethodByName(f"{TEST_SERVICE}.UnaryCall")
    assert unary.input_type.full_name == "grpc.testing.SimpleRequest"
    assert unary.output_type.full_name == "grpc.testing.SimpleResponse"
    assert unary.input_type.fields_by_name["response_size"].number == 2
    assert unary.input_type.fields_by_name["payload"].message_type.full_name == "grpc.testing.Payload"
    full_duplex = pool.FindMethodByName(f"{TEST_SERVICE}.FullDuplexCall")
    assert full_duplex.client_streaming and full_duplex.server_streaming


def test_reflection_with_grpcio_descriptor_database(channel):
    """The way grpcio's own tooling uses reflection (v1alpha), end to end."""
    database = ProtoReflectionDescriptorDatabase(channel)
    assert TEST_SERVICE in database.get_services()
    pool = descriptor_pool.DescriptorPool(database)
    service = pool.FindServiceByName(TEST_SERVICE)
    assert {"EmptyCall", "UnaryCall", "StreamingOutputCall", "StreamingInputCall",
            "FullDuplexCall"} <= {m.name for m in service.methods}


def test_reflection_unknown_symbol_is_not_found(channel):
    [response] = reflection_exchange(channel, REFLECTION_PATHS["v1"], [
        reflection_pb2.ServerReflectionRequest(file_containing_symbol="no.such.Symbol")])
    assert response.HasField("error_response")
    assert response.error_response.error_code == grpc.StatusCode.NOT_FOUND.value[0]
