"""Hostile strings in every string field of every RPC of the seven services (issue 16's row):
SQL-injection text, invalid UTF-8, an embedded NUL and a 1 MB string, each put alone into one
top-level string field of an otherwise empty request, sent as raw bytes (grpcio's encoder would
refuse the invalid ones). Gateway RPCs go through the gateway as hq_admin; the backends are
called directly with an actor signed for them: an hq admin, and for customers, proposals,
settlements and campaigns (closed inside a team) also a team admin, so their handlers get past
the role checks.

Asserted: invalid UTF-8 and NUL are INVALID_ARGUMENT everywhere (the decoder refuses them before
any handler); a lookup field (an id, a code, a cursor, an organisation path: LookupField in
DomainKit) answers SQL text and a 1 MB string with INVALID_ARGUMENT, or with a refusal that comes
before anything is read (PERMISSION_DENIED, UNAUTHENTICATED), never NOT_FOUND or OK (a lookup of
hostile text); no answer is INTERNAL or UNKNOWN (what a database error becomes), no call runs
into its deadline, and no service logs an error. Printed: the codes each kind got, and the
RPC/field pairs where a 1 MB or SQL string was not INVALID_ARGUMENT (free text, where SQL text is
just text).
Shown able to fail: with the decoder's UTF-8 check removed (ProtoStringCheck) the invalid-UTF-8
rows answer OK/NOT_FOUND and the first assertion lists them; without the handlers' LookupField
checks the lookup assertion lists every id field that answered NOT_FOUND."""
from __future__ import annotations

import collections
import re
import time

import grpc
import pytest

from cluster_support import Cluster
from test_abuse_actor import sign

T = 20
PAYLOADS = {
    "sql": "x' OR '1'='1'; DROP TABLE orders; --".encode(),
    "invalid-utf8": b"ok\xc3\x28\xff",
    "nul": b"ab\x00cd",
    "1mb": b"A" * (1 << 20),
}
STRICT = ("invalid-utf8", "nul")
SERVICES = ("gateway", "orders", "customers", "proposals", "settlements", "notifications", "campaigns")
TEAM = "/hq/cq/cq-o1/cq-o1-d3/t7"
# Fields that name something to look up (LookupField's shapes): ids, codes, cursors, paths.
LOOKUP = re.compile(r"(^id|_id|^ids|_ids|cursor|_code|^code|_path)$")
# Refusals that come before anything is looked up.
EARLY_REFUSALS = {grpc.StatusCode.INVALID_ARGUMENT, grpc.StatusCode.PERMISSION_DENIED, grpc.StatusCode.UNAUTHENTICATED}


def varint(value: int) -> bytes:
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        out.append(byte | (0x80 if value else 0))
        if not value:
            return bytes(out)


def one_field(number: int, data: bytes) -> bytes:
    return varint((number << 3) | 2) + varint(len(data)) + data


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    with Cluster.started(tmp_path_factory.mktemp("strings"), services=SERVICES) as running:
        yield running


def backend_actor(stubs, service: str, role: str, domain_role: str, team: str) -> tuple:
    common = stubs.common
    actor = common.ActorContext(account_id="acct-strings", role=getattr(common.ActorContext, role), team_path=team,
                                domain_role=domain_role, request_id="strings-1",
                                expires_at_ms=int(time.time() * 1000) + 3_000_000).SerializeToString()
    return (("x-xsc-actor-bin", actor), ("x-xsc-actor-sig-bin", sign(actor, service)))


def targets(cluster):
    """(who, service address, metadata, service descriptor) for each service and caller under test."""
    stubs = cluster.stubs
    admin = tuple(cluster.admin())
    out = []
    for name in SERVICES[1:]:
        callers = [("hq_admin", backend_actor(stubs, name, "ROLE_ADMIN", "hq_admin", "/hq"))]
        if name in ("customers", "proposals", "settlements", "campaigns"):
            callers.append(("team_admin", backend_actor(stubs, name, "ROLE_STAFF", "team_admin", TEAM)))
        module = getattr(stubs, name)
        for who, md in callers:
            for service in module.DESCRIPTOR.services_by_name.values():
                out.append((who, cluster.address(name), md, service))
    for service in stubs.gateway.DESCRIPTOR.services_by_name.values():
        out.append(("hq_admin", cluster.address("gateway"), admin, service))
    return out


def item_status(method, answer: bytes) -> grpc.StatusCode | None:
    """A bulk call answers each item in `results[].error` (google.rpc.Status): the first item's
    code, or None when the response has no such results."""
    from google.protobuf import message_factory
    response_type = message_factory.GetMessageClass(method.output_type)
    response = response_type.FromString(answer)
    results = getattr(response, "results", None)
    if not results or not results[0].HasField("error"):
        return None
    return grpc.StatusCode[next(c.name for c in grpc.StatusCode if c.value[0] == results[0].error.code)]


def call_raw(channel, method, body: bytes, md) -> grpc.StatusCode:
    path = f"/{method.containing_service.full_name}/{method.name}"
    try:
        if method.client_streaming and method.server_streaming:
            responses = channel.stream_stream(path, request_serializer=None, response_deserializer=None)(
                iter([body]), metadata=md, timeout=3)
            next(iter(responses), None)
        elif method.client_streaming:
            answer = channel.stream_unary(path, request_serializer=None, response_deserializer=None)(
                iter([body]), metadata=md, timeout=T)
            return item_status(method, answer) or grpc.StatusCode.OK
        elif method.server_streaming:
            responses = channel.unary_stream(path, request_serializer=None, response_deserializer=None)(body, metadata=md, timeout=3)
            next(iter(responses), None)
        else:
            channel.unary_unary(path, request_serializer=None, response_deserializer=None)(body, metadata=md, timeout=T)
        return grpc.StatusCode.OK
    except grpc.RpcError as error:
        return error.code()


def test_hostile_strings_in_every_string_field(cluster):
    results = []  # (kind, rpc, field, code, who)
    for who, address, md, service in targets(cluster):
        with grpc.insecure_channel(address, options=[("grpc.max_send_message_length", 8 << 20),
                                                     ("grpc.max_receive_message_length", 8 << 20)]) as channel:
            for method in service.methods:
                for field in method.input_type.fields:
                    if field.type != field.TYPE_STRING:
                        continue
                    for kind, payload in PAYLOADS.items():
                        code = call_raw(channel, method, one_field(field.number, payload), md)
                        results.append((kind, f"{service.name}/{method.name}", field.name, code, who))
    assert results, "no string fields found: the sweep proves nothing"
    by_kind = collections.defaultdict(collections.Counter)
    for kind, _, _, code, _ in results:
        by_kind[kind][code.name] += 1
    fields = len({(rpc, field) for _, rpc, field, _, _ in results})
    rpcs = len({rpc for _, rpc, _, _, _ in results})
    lookups = {(rpc, field) for _, rpc, field, _, _ in results if LOOKUP.search(field)}
    print(f"\nhostile strings: {len(results)} calls over {fields} string fields of {rpcs} RPCs of {len(SERVICES)} services "
          f"({len(lookups)} lookup fields)")
    for kind in PAYLOADS:
        print(f"  {kind}: {dict(by_kind[kind])}")
    for kind in ("sql", "1mb"):
        invalid = {(rpc, field) for k, rpc, field, code, _ in results if k == kind and code == grpc.StatusCode.INVALID_ARGUMENT}
        print(f"  {kind}: INVALID_ARGUMENT in {len(invalid)} of {fields} fields; lookup fields: "
              f"{len(invalid & lookups)} of {len(lookups)} INVALID_ARGUMENT")
    refused = {(rpc, field) for kind, rpc, field, code, _ in results
               if kind not in STRICT and code == grpc.StatusCode.PERMISSION_DENIED}
    lenient = sorted({f"{kind} {rpc}.{field} as {who}: {code.name}" for kind, rpc, field, code, who in results
                      if kind not in STRICT and code not in (grpc.StatusCode.INVALID_ARGUMENT, grpc.StatusCode.PERMISSION_DENIED)})
    print(f"  PERMISSION_DENIED before anything is read (machine-only RPCs, roles): {len(refused)} fields; "
          f"answered otherwise (sql, 1mb): {len(lenient)}" + "".join(f"\n    {line}" for line in lenient[:80]))
    database_errors = [r for r in results if r[3] in (grpc.StatusCode.INTERNAL, grpc.StatusCode.UNKNOWN)]
    # A watch with nothing to send waits for its deadline by design; any other call must not.
    overran = [r for r in results if r[3] == grpc.StatusCode.DEADLINE_EXCEEDED and "/Watch" not in r[1]]
    logged_errors = [line for name in SERVICES
                     for line in cluster.output(name).splitlines() if '"level":"error"' in line]
    print(f"  database errors: {len(database_errors)} answers INTERNAL/UNKNOWN, {len(logged_errors)} error log lines; "
          f"{len(overran)} past their deadline")
    strict = [r for r in results if r[0] in STRICT and r[3] != grpc.StatusCode.INVALID_ARGUMENT]
    assert not strict, strict[:20]
    looked_up = sorted({f"{kind} {rpc}.{field} as {who}: {code.name}" for kind, rpc, field, code, who in results
                        if kind not in STRICT and LOOKUP.search(field) and code not in EARLY_REFUSALS})
    print(f"  lookup fields answered past their shape check: {len(looked_up)}" + "".join(f"\n    {line}" for line in looked_up))
    assert not looked_up, looked_up
    assert not database_errors, database_errors[:20]
    assert not overran, overran[:20]
    assert not logged_errors, logged_errors[:10]
