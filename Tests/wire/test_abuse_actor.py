"""Forged and misused signed actors against the real services (issue 16's row "a replayed,
tampered, expired or other-audience actor: 0 accepted"), calling every backend service (orders,
notifications, customers, proposals, settlements, campaigns) directly, as anyone who reached a
backend port could. (The gateway takes no actor: it makes them.)

Each case is one call; "accepted" means any answer but UNAUTHENTICATED. The control (a fresh
actor signed for the service it calls) must be accepted, so the check can tell the two apart;
and the cases fail as they stand against a service without audience or lifetime checks (the
other-audience, audience-less and ten-year cases were all accepted before this issue)."""
from __future__ import annotations

import base64
import hashlib
import hmac
import time

import grpc
import pytest

from cluster_support import ACTOR_SECRET, Cluster
import wire_support

T = 20


def sign(actor_bytes: bytes, audience: str | None, secret: str = ACTOR_SECRET) -> bytes:
    label = b"xsc-actor-v1\x00" if audience is None else b"xsc-actor-v2\x00" + audience.encode() + b"\x00"
    return hmac.new(secret.encode(), label + actor_bytes, hashlib.sha256).digest()


def actor_bytes(stubs, *, expires_in_ms: int = 60_000, role: str = "ROLE_ADMIN", account: str = "acct-abuse") -> bytes:
    common = stubs.common
    return common.ActorContext(account_id=account, role=getattr(common.ActorContext, role), team_path="/hq",
                               request_id="abuse-1", expires_at_ms=int(time.time() * 1000) + expires_in_ms
                               ).SerializeToString()


def metadata(actor: bytes, signature: bytes) -> tuple:
    return (("x-xsc-actor-bin", actor), ("x-xsc-actor-sig-bin", signature))


NO_SUCH_ID = "00000000-0000-0000-0000-000000000000"
BACKENDS = ("orders", "notifications", "customers", "proposals", "settlements", "campaigns")


def call(cluster, service: str, md) -> grpc.StatusCode:
    """One harmless read on `service` (a lookup of an id that does not exist, or the inbox); its
    status code."""
    pb = cluster.stubs
    reads = {
        "orders": lambda ch: pb.orders_grpc.OrderServiceStub(ch).GetOrder(pb.orders.GetOrderRequest(order_id=NO_SUCH_ID), metadata=md, timeout=T),
        "notifications": lambda ch: pb.notifications_grpc.NotificationServiceStub(ch).ListInbox(
            pb.notifications.ListInboxRequest(), metadata=md, timeout=T),
        "customers": lambda ch: pb.customers_grpc.CustomerServiceStub(ch).GetCustomer(
            pb.customers.GetCustomerRequest(customer_id=NO_SUCH_ID), metadata=md, timeout=T),
        "proposals": lambda ch: pb.proposals_grpc.ProposalServiceStub(ch).GetProposal(
            pb.proposals.ProposalRequest(proposal_id=NO_SUCH_ID), metadata=md, timeout=T),
        "settlements": lambda ch: pb.settlements_grpc.SettlementServiceStub(ch).GetStatement(
            pb.settlements.GetStatementRequest(statement_id=NO_SUCH_ID), metadata=md, timeout=T),
        "campaigns": lambda ch: pb.campaigns_grpc.CampaignServiceStub(ch).GetCampaign(
            pb.campaigns.GetCampaignRequest(campaign_id=NO_SUCH_ID), metadata=md, timeout=T),
    }
    with grpc.insecure_channel(cluster.address(service)) as channel:
        try:
            reads[service](channel)
            return grpc.StatusCode.OK
        except grpc.RpcError as error:
            return error.code()


def minted(audience: str, ttl_s: int) -> tuple:
    made = wire_support.run_xsc("mint-actor", "--audience", audience, "--account", "acct-replay", "--role", "admin",
                                "--ttl", str(ttl_s), "--plain", env={"XSC_ACTOR_SECRET": ACTOR_SECRET})
    assert made.returncode == 0, made.stderr
    return tuple((name, base64.b64decode(value)) for name, value in
                 (line.split(": ", 1) for line in made.stdout.splitlines()))


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    with Cluster.started(tmp_path_factory.mktemp("abuse-actor"), services=("gateway",) + BACKENDS) as running:
        yield running


def test_replayed_tampered_expired_and_other_audience_actors_are_all_refused(cluster):
    stubs = cluster.stubs
    services = BACKENDS
    for service in services:
        good = actor_bytes(stubs)
        assert call(cluster, service, metadata(good, sign(good, service))) != grpc.StatusCode.UNAUTHENTICATED, \
            f"control: a fresh actor for {service} must be accepted"

    cases: list[tuple[str, str, tuple]] = []
    for service in services:
        other = BACKENDS[(BACKENDS.index(service) + 1) % len(BACKENDS)]
        good = actor_bytes(stubs)
        tampered = bytearray(good)
        tampered[-1] ^= 0x01  # the last byte of expires_at_ms
        bad_signature = bytearray(sign(good, service))
        bad_signature[0] ^= 0x80
        expired = actor_bytes(stubs, expires_in_ms=-10_000)
        ten_years = actor_bytes(stubs, expires_in_ms=10 * 365 * 86_400_000)
        cases += [
            ("other audience", service, metadata(good, sign(good, other))),
            ("the gateway's audience", service, metadata(good, sign(good, "gateway"))),
            ("no audience (v1 format)", service, metadata(good, sign(good, None))),
            ("tampered actor bytes", service, metadata(bytes(tampered), sign(good, service))),
            ("tampered signature", service, metadata(good, bytes(bad_signature))),
            ("wrong secret", service, metadata(good, sign(good, service, secret="x" * 40))),
            ("expired", service, metadata(expired, sign(expired, service))),
            ("lifetime past the 1 h cap", service, metadata(ten_years, sign(ten_years, service))),
        ]

    # A real replay: an actor minted for orders with a 1 s lifetime, accepted once, then replayed
    # at notifications at once and at orders after its expiry (plus the 5 s clock skew allowed).
    captured = minted("orders", 1)
    assert call(cluster, "orders", captured) != grpc.StatusCode.UNAUTHENTICATED, "the captured actor works once"
    cases.append(("replayed at another service", "notifications", captured))
    time.sleep(6.5)
    cases.append(("replayed after expiry", "orders", captured))

    accepted = []
    for name, service, md in cases:
        code = call(cluster, service, md)
        if code != grpc.StatusCode.UNAUTHENTICATED:
            accepted.append(f"{name} at {service}: {code}")
    kinds = sorted({name for name, _, _ in cases})
    print(f"\nforged/replayed actors: {len(cases)} tried ({len(kinds)} kinds at {', '.join(services)}), "
          f"{len(accepted)} accepted")
    assert not accepted, accepted
