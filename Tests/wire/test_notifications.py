"""xsc-notifications over the wire with grpcio: a real process on a fresh database (its own
role, migrated at start), the development SMS provider writing its JSON-lines file, the inbox,
an inbound reply queued for the orders service (which has no AcknowledgeBySms yet: the
acknowledgement waits in the outbox, retried, never dead-lettered), validation errors with BadRequest details, and logs without full phone numbers.

Needs DATABASE_URL (a superuser URL; `make test` provides one), like test_cli's db-bootstrap tests.
"""
from __future__ import annotations

import importlib
import json
import os
import sys
import uuid
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import grpc
import pytest

import wire_support
from cluster_support import eventually
from wire_support import run_psql as psql, run_xsc as xsc

SECRET = "wire-test-actor-secret-notifications-0123456789"
LEAD_PHONE = "13812345678"
# A liveness bound for a loaded machine, not a performance assertion.
WAIT_S = 60.0


@pytest.fixture(scope="module")
def pb(tmp_path_factory):
    from grpc_tools import protoc
    import grpc_tools

    out = tmp_path_factory.mktemp("notification-stubs")
    well_known = Path(grpc_tools.__file__).parent / "_proto"
    status = protoc.main(["grpc_tools.protoc", f"-I{wire_support.proto_dir()}", f"-I{well_known}",
                          f"--python_out={out}", f"--grpc_python_out={out}",
                          "xsc/notifications/v1/notifications.proto"])
    assert status == 0
    sys.path.insert(0, str(out))
    messages = importlib.import_module("xsc.notifications.v1.notifications_pb2")
    services = importlib.import_module("xsc.notifications.v1.notifications_pb2_grpc")
    return messages, services


@pytest.fixture(scope="module")
def service(tmp_path_factory):
    superuser = os.environ.get("DATABASE_URL")
    if not superuser:
        pytest.skip("needs DATABASE_URL (a superuser URL; `make test` provides one)")
    name = "xsc_notify_" + uuid.uuid4().hex[:12]
    created = psql(superuser, f"CREATE DATABASE {name} STRATEGY FILE_COPY")
    assert created.returncode == 0, created.stderr
    database = urlunsplit(urlsplit(superuser)._replace(path="/" + name))
    folder = tmp_path_factory.mktemp("notifications")
    boot = xsc("db-bootstrap", "--secrets-dir", str(folder / "secrets"), "notifications",
               env={"DATABASE_URL": database})
    assert boot.returncode == 0, boot.stderr
    service_url = (folder / "secrets" / "notifications.database-url").read_text().strip()

    port, admin = wire_support.free_port(), wire_support.free_port()
    dev_file = folder / "sms" / "dev.jsonl"
    process = wire_support.ServerProcess(
        "xsc-notifications", [str(wire_support.binary("xsc-notifications"))], port,
        env={
            "DATABASE_URL": service_url, "XSC_LISTEN": f"127.0.0.1:{port}", "XSC_ADMIN_LISTEN": f"127.0.0.1:{admin}",
            "XSC_ACTOR_SECRET": SECRET, "XSC_SMS_DEV_FILE": str(dev_file),
            # "Orders" is this very process: it answers UNIMPLEMENTED for OrderService, as the
            # orders service does until its issue lands; acknowledgements must wait in the outbox.
            "XSC_ORDERS_ADDR": f"127.0.0.1:{port}",
            "XSC_MIGRATIONS_DIR": str(wire_support.REPO_ROOT / "services" / "notifications" / "migrations"),
        })
    process.start()
    yield process, dev_file, service_url
    process.stop()


def actor(account: str, role: str) -> list[tuple[str, bytes]]:
    import base64

    minted = xsc("mint-actor", "--audience", "notifications", "--account", account, "--role", role, "--plain", env={"XSC_ACTOR_SECRET": SECRET})
    assert minted.returncode == 0, minted.stderr
    return [(name, base64.b64decode(value)) for name, value in
            (line.split(": ", 1) for line in minted.stdout.splitlines())]


@pytest.fixture(scope="module")
def stub(service, pb):
    process, _, _ = service
    with grpc.insecure_channel(process.address) as channel:
        yield pb[1].NotificationServiceStub(channel)


def send_request(pb, key: str, **overrides):
    messages = pb[0]
    fields = dict(account_id="acct-lead-1", phone=LEAD_PHONE, template="order_new_lead",
                  params={"code": "A7K2", "summary": "五粮液2箱"}, category=messages.CATEGORY_STAFF_SLA,
                  region_code="cq", idempotency_key=key,
                  subject=messages.Subject(kind="order", id="order-wire-1", short_code="A7K2"))
    fields.update(overrides)
    return messages.SendRequest(**fields)


def test_send_reaches_the_dev_file_and_the_inbox(service, stub, pb):
    process, dev_file, _ = service
    system = actor("service:orders", "system")
    sent = stub.Send(send_request(pb, "wire-1"), metadata=system, timeout=30).message
    again = stub.Send(send_request(pb, "wire-1"), metadata=system, timeout=30).message
    assert again.id == sent.id
    assert sent.text == "【XSC重庆】新订单A7K2：五粮液2箱，请5分钟内回复1确认。"
    assert sent.recipient_phone_masked == "138****5678"
    assert sent.segments == 1

    line = eventually("the SMS line in the dev file", lambda: dev_file.exists() and next(
        (json.loads(l) for l in dev_file.read_text().splitlines() if sent.id in l), None))
    assert line["to"] == LEAD_PHONE and line["text"] == sent.text and line["region"] == "cq"
    assert eventually("state SENT", lambda: stub.GetMessage(pb[0].GetMessageRequest(id=sent.id), metadata=system,
                                                              timeout=30).state == pb[0].MESSAGE_STATE_SENT)

    inbox = stub.ListInbox(pb[0].ListInboxRequest(page_size=10), metadata=actor("acct-lead-1", "staff"), timeout=30)
    assert [m.id for m in inbox.messages] == [sent.id] and inbox.unread_count == 1
    with pytest.raises(grpc.RpcError) as refused:
        stub.GetMessage(pb[0].GetMessageRequest(id=sent.id), metadata=actor("acct-someone-else", "staff"), timeout=30)
    assert refused.value.code() == grpc.StatusCode.NOT_FOUND
    assert LEAD_PHONE not in process.output(), "logs mask phone numbers"


def test_reply_queues_the_acknowledgement_which_waits_while_orders_lacks_the_rpc(service, stub, pb):
    _, _, service_url = service
    system = actor("gateway", "system")
    stub.Send(send_request(pb, "wire-2", subject=pb[0].Subject(kind="order", id="order-wire-2", short_code="B2C3"),
                           params={"code": "B2C3", "summary": "茅台1箱"}), metadata=system, timeout=30)
    # Two open prompts now: a bare `1` is ambiguous, the code is not.
    ambiguous = stub.ReceiveInbound(pb[0].ReceiveInboundRequest(from_phone="+86 138-1234-5678", text="1",
                                                                received_at_ms=1_794_794_400_000,
                                                                provider_message_id="in-wire-0"),
                                    metadata=system, timeout=30)
    assert ambiguous.outcome == pb[0].ReceiveInboundResponse.OUTCOME_AMBIGUOUS
    answer = stub.ReceiveInbound(pb[0].ReceiveInboundRequest(from_phone=LEAD_PHONE, text="b2c3",
                                                             received_at_ms=1_794_794_460_000,
                                                             provider_message_id="in-wire-1"),
                                 metadata=system, timeout=30)
    assert answer.outcome == pb[0].ReceiveInboundResponse.OUTCOME_ACKNOWLEDGEMENT_QUEUED
    assert answer.order_id == "order-wire-2"

    def outbox():
        row = psql(service_url, "SELECT state, method_path, attempts, coalesce(last_error, '') FROM xsc_outbox")
        assert row.returncode == 0, row.stderr
        state, path, attempts, error = row.stdout.strip().split("|", 3)
        return (state, path, int(attempts), error) if int(attempts) >= 2 else None

    state, path, _, error = eventually("two delivery attempts", outbox)
    assert (state, path) == ("pending", "/xsc.orders.v1.OrderService/AcknowledgeBySms"), error
    assert "UNIMPLEMENTED" in error.upper() or "unimplemented" in error, error


def test_invalid_send_is_invalid_argument_with_field_violations(service, stub, pb):
    with pytest.raises(grpc.RpcError) as error:
        stub.Send(send_request(pb, "wire-bad", phone="12345", region_code="CQ!", params={"code": "A7K2"}),
                  metadata=actor("service:orders", "system"), timeout=30)
    assert error.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    details = dict(error.value.trailing_metadata())["grpc-status-details-bin"]
    assert b"type.googleapis.com/google.rpc.BadRequest" in details
    for field in (b"phone", b"region_code", b"params[summary]"):
        assert field in details
    with pytest.raises(grpc.RpcError) as anonymous:
        stub.ListInbox(pb[0].ListInboxRequest(), timeout=30)
    assert anonymous.value.code() == grpc.StatusCode.UNAUTHENTICATED
