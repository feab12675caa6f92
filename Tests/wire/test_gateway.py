"""xsc-gateway end to end with grpcio: real PostgreSQL (DATABASE_URL, a superuser URL; `make test`
provides one), real processes. Identity (login, expiry, logout, lockout), team isolation, the
front door (forged actors dropped, partner keys confined, role checks), forwarding of every call
kind, a backend that is down, and the per-caller rate limit."""
from __future__ import annotations

import hashlib
import hmac
import os
import time
import uuid

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc

import gateway_support as gs
import wire_support

T = 30  # per-call liveness bound only


@pytest.fixture(scope="module")
def pb(tmp_path_factory):
    return gs.generate_gateway_stubs(tmp_path_factory.mktemp("gateway-stubs"))


@pytest.fixture(scope="module")
def database(tmp_path_factory):
    url = os.environ.get("DATABASE_URL")
    if not url:
        pytest.skip("needs DATABASE_URL (a superuser URL; `make test` provides one)")
    return gs.gateway_database(url, tmp_path_factory.mktemp("gateway-secrets"))


@pytest.fixture(scope="module")
def echo_backend():
    server, port = gs.start_metadata_echo()
    yield port
    server.stop(None)


@pytest.fixture(scope="module")
def interop(stubs):
    server = wire_support.start_interop_target(stubs)
    yield server
    server.stop()


@pytest.fixture(scope="module")
def gateway(database, echo_backend, interop):
    backends = {
        "XSC_ORDERS_ADDR": f"127.0.0.1:{echo_backend}",
        "XSC_CUSTOMERS_ADDR": f"127.0.0.1:{wire_support.free_port()}",  # nobody listens: down
        "XSC_INTEROP_ADDR": interop.address,
    }
    server = gs.start_gateway(database, backends)
    yield server
    server.stop()


@pytest.fixture(scope="module")
def channel(gateway):
    with grpc.insecure_channel(gateway.address) as ch:
        yield ch


class Api:
    def __init__(self, pb, channel):
        g = pb["gateway_pb2_grpc"]
        self.pb = pb["gateway_pb2"]
        self.rpc = pb
        self.auth = g.AuthServiceStub(channel)
        self.accounts = g.AccountServiceStub(channel)
        self.org = g.OrgServiceStub(channel)
        self.keys = g.PartnerKeyServiceStub(channel)
        self.channel = channel

    def login(self, phone, password):
        return self.auth.Login(self.pb.LoginRequest(phone=phone, password=password), timeout=T)

    @staticmethod
    def bearer(token):
        return (("authorization", "Bearer " + token),)


def wait_for_admin(api):
    # The first-run worker creates the admin right after start; give it a liveness bound.
    deadline = time.monotonic() + 60
    while True:
        try:
            return api.login(gs.ADMIN_PHONE, gs.ADMIN_PASSWORD)
        except grpc.RpcError as error:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


@pytest.fixture(scope="module")
def api(pb, channel):
    return Api(pb, channel)


@pytest.fixture(scope="module")
def admin(api):
    return Api.bearer(wait_for_admin(api).session_token)


_counter = [0]


def fresh_phone():
    _counter[0] += 1
    return "139%08d" % ((os.getpid() * 1000 + _counter[0]) % 100_000_000)


def make_team(api, admin, suffix):
    """region/office/district/team under /hq, unique per call; returns the team path."""
    pb = api.pb
    r = api.org.CreateNode(pb.CreateNodeRequest(parent_path="/hq", slug=f"r{suffix}", name="片区", kind=pb.NODE_KIND_REGION),
                           metadata=admin, timeout=T)
    o = api.org.CreateNode(pb.CreateNodeRequest(parent_path=r.path, slug=f"r{suffix}-o1", name="办事处", kind=pb.NODE_KIND_OFFICE),
                           metadata=admin, timeout=T)
    d = api.org.CreateNode(pb.CreateNodeRequest(parent_path=o.path, slug=f"r{suffix}-o1-d1", name="区县", kind=pb.NODE_KIND_DISTRICT),
                           metadata=admin, timeout=T)
    t = api.org.CreateNode(pb.CreateNodeRequest(parent_path=d.path, slug="t1", name="团购小组", kind=pb.NODE_KIND_TEAM),
                           metadata=admin, timeout=T)
    return t.path


def create_account(api, creds, path, role, password="member-password-1"):
    phone = fresh_phone()
    api.accounts.CreateAccount(api.pb.CreateAccountRequest(name="成员", phone=phone, role=role, node_path=path,
                                                           initial_password=password), metadata=creds, timeout=T)
    return phone, password


def code_of(call, *args, **kwargs):
    with pytest.raises(grpc.RpcError) as failure:
        call(*args, **kwargs)
    return failure.value


def test_login_whoami_logout(api, admin):
    pb = api.pb
    login = api.login("+86 138-0000-0000", gs.ADMIN_PASSWORD)
    assert login.session_token.startswith("xsc_st_") and login.expires_at_ms > time.time() * 1000
    creds = Api.bearer(login.session_token)
    me = api.auth.WhoAmI(pb.WhoAmIRequest(), metadata=creds, timeout=T)
    assert me.account.role == pb.ACCOUNT_ROLE_HQ_ADMIN and me.account.node_path == "/hq"
    api.auth.Logout(pb.LogoutRequest(), metadata=creds, timeout=T)
    error = code_of(api.auth.WhoAmI, pb.WhoAmIRequest(), metadata=creds, timeout=T)
    assert error.code() == grpc.StatusCode.UNAUTHENTICATED
    # The other admin session is untouched.
    api.auth.WhoAmI(pb.WhoAmIRequest(), metadata=admin, timeout=T)


def test_no_or_garbage_credentials(api):
    pb = api.pb
    assert code_of(api.auth.WhoAmI, pb.WhoAmIRequest(), timeout=T).code() == grpc.StatusCode.UNAUTHENTICATED
    garbage = Api.bearer("xsc_st_" + "0" * 64)
    assert code_of(api.auth.WhoAmI, pb.WhoAmIRequest(), metadata=garbage, timeout=T).code() == grpc.StatusCode.UNAUTHENTICATED


def test_wrong_password_and_unknown_phone_answer_alike(api, admin):
    team = make_team(api, admin, "wp")
    phone, password = create_account(api, admin, team, api.pb.ACCOUNT_ROLE_SALESPERSON)
    wrong = code_of(api.login, phone, password + "x")
    unknown = code_of(api.login, "13711112222", password)
    assert wrong.code() == unknown.code() == grpc.StatusCode.UNAUTHENTICATED
    assert wrong.details() == unknown.details()
    assert "password" not in wrong.details().lower() and "phone" not in wrong.details().lower()
    api.login(phone, password)  # still fine after one failure


def test_repeated_failures_lock_the_phone(api, admin, database):
    team = make_team(api, admin, "lk")
    phone, password = create_account(api, admin, team, api.pb.ACCOUNT_ROLE_DEALER)
    for _ in range(5):
        assert code_of(api.login, phone, "wrong-password").code() == grpc.StatusCode.UNAUTHENTICATED
    # Now locked: even the right password is refused, with the same answer.
    locked = code_of(api.login, phone, password)
    assert locked.code() == grpc.StatusCode.UNAUTHENTICATED
    # The lockout lives in the database (every replica sees it), not in one process.
    row = gs.psql(database, f"SELECT failures, locked_until > now() FROM login_throttle WHERE phone = '{phone}'")
    assert row.returncode == 0 and row.stdout.strip() == "5|t", row.stdout + row.stderr


def test_validation_answers_bad_request_field_violations(api, admin, pb):
    error = code_of(api.accounts.CreateAccount,
                    api.pb.CreateAccountRequest(name="", phone="12345", role=api.pb.ACCOUNT_ROLE_DEALER,
                                                node_path="/hq", initial_password="short"),
                    metadata=admin, timeout=T)
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
    details = dict(error.trailing_metadata())["grpc-status-details-bin"]
    status = pb["status_pb2"].Status.FromString(details)
    bad = pb["error_details_pb2"].BadRequest()
    assert status.details[0].Unpack(bad)
    assert sorted(v.field for v in bad.field_violations) == ["initial_password", "name", "phone"]


def test_team_admin_sees_and_manages_only_its_team(api, admin):
    pb = api.pb
    team_a = make_team(api, admin, "ta")
    team_b = make_team(api, admin, "tb")
    admin_a_phone, admin_a_pw = create_account(api, admin, team_a, pb.ACCOUNT_ROLE_TEAM_ADMIN)
    b_phone, b_pw = create_account(api, admin, team_b, pb.ACCOUNT_ROLE_SALESPERSON)
    a = Api.bearer(api.login(admin_a_phone, admin_a_pw).session_token)

    member_phone, member_pw = create_account(api, a, team_a, pb.ACCOUNT_ROLE_INTERMEDIARY)
    own = api.accounts.ListAccounts(pb.ListAccountsRequest(), metadata=a, timeout=T)
    assert {x.node_path for x in own.accounts} == {team_a} and len(own.accounts) == 2

    for call, request in [
        (api.accounts.CreateAccount, pb.CreateAccountRequest(name="x", phone=fresh_phone(), role=pb.ACCOUNT_ROLE_DEALER,
                                                             node_path=team_b, initial_password="member-password-1")),
        (api.accounts.ListAccounts, pb.ListAccountsRequest(under_path=team_b)),
        (api.accounts.ListAccounts, pb.ListAccountsRequest(under_path="/hq")),
    ]:
        assert code_of(call, request, metadata=a, timeout=T).code() == grpc.StatusCode.NOT_FOUND
    b_account = [x for x in api.accounts.ListAccounts(pb.ListAccountsRequest(under_path=team_b), metadata=admin,
                                                      timeout=T).accounts if x.phone == b_phone][0]
    assert code_of(api.accounts.DisableAccount, pb.DisableAccountRequest(account_id=b_account.id), metadata=a,
                   timeout=T).code() == grpc.StatusCode.NOT_FOUND
    # Org management is hq_admin's.
    assert code_of(api.org.ListNodes, pb.ListNodesRequest(), metadata=a, timeout=T).code() == grpc.StatusCode.PERMISSION_DENIED

    # Disabling an account of its own team ends that account's sessions.
    member = Api.bearer(api.login(member_phone, member_pw).session_token)
    api.auth.WhoAmI(pb.WhoAmIRequest(), metadata=member, timeout=T)
    member_id = [x.id for x in own.accounts if x.phone == member_phone][0]
    assert not api.accounts.DisableAccount(pb.DisableAccountRequest(account_id=member_id), metadata=a, timeout=T).enabled
    assert code_of(api.auth.WhoAmI, pb.WhoAmIRequest(), metadata=member, timeout=T).code() == grpc.StatusCode.UNAUTHENTICATED
    assert code_of(api.login, member_phone, member_pw).code() == grpc.StatusCode.UNAUTHENTICATED


def test_forged_actor_metadata_is_replaced_by_a_signed_one(api, admin, pb):
    common = pb["common_pb2"]
    forged = common.ActorContext(account_id="someone-else", role=common.ActorContext.ROLE_SYSTEM,
                                 team_path="/hq", expires_at_ms=int(time.time() * 1000) + 3_600_000).SerializeToString()
    forged_sig = hmac.new(b"not-the-secret", b"xsc-actor-v1\x00" + forged, hashlib.sha256).digest()
    me = api.auth.WhoAmI(api.pb.WhoAmIRequest(), metadata=admin, timeout=T).account
    call = api.channel.unary_unary("/xsc.orders.v1.OrderService/Anything")
    response, outcome = call.with_call(b"\x0a\x01x", timeout=T, metadata=admin + (
        ("x-xsc-actor-bin", forged), ("x-xsc-actor-sig-bin", forged_sig), ("x-probe", "kept")))
    assert response == b"\x0a\x01x"
    seen = dict(outcome.trailing_metadata())
    names = seen["x-seen-names"].split(",")
    assert names.count("x-xsc-actor-bin") == 1 and names.count("x-xsc-actor-sig-bin") == 1
    assert "authorization" not in names and seen["x-seen-x-probe"] == "kept"
    actor_bytes, signature = seen["x-seen-x-xsc-actor-bin"], seen["x-seen-x-xsc-actor-sig-bin"]
    assert actor_bytes != forged
    expected = hmac.new(gs.ACTOR_SECRET.encode(), b"xsc-actor-v2\x00orders\x00" + actor_bytes, hashlib.sha256).digest()
    assert hmac.compare_digest(signature, expected)
    actor = common.ActorContext.FromString(actor_bytes)
    assert actor.account_id == me.id and actor.role == common.ActorContext.ROLE_ADMIN and actor.team_path == "/hq" and actor.domain_role == "hq_admin"
    assert actor.request_id and actor.expires_at_ms > time.time() * 1000


def test_partner_keys_reach_whoami_and_orders_partner_methods_only(api, admin):
    pb = api.pb
    partner = "tmall-" + os.urandom(3).hex()
    first = api.keys.CreateKey(pb.CreateKeyRequest(partner_id=partner, channel="mall"), metadata=admin, timeout=T)
    assert first.secret.startswith("xsc_pk_") and first.secret.startswith(first.key.display_prefix)
    key = Api.bearer(first.secret)
    me = api.auth.WhoAmI(pb.WhoAmIRequest(), metadata=key, timeout=T)
    assert me.partner_key.partner_id == partner and me.partner_key.channel == "mall" and not me.account.id
    denied = [
        lambda: api.accounts.ListAccounts(pb.ListAccountsRequest(), metadata=key, timeout=T),
        lambda: api.org.ListNodes(pb.ListNodesRequest(), metadata=key, timeout=T),
        lambda: api.keys.ListKeys(pb.ListKeysRequest(), metadata=key, timeout=T),
        lambda: api.auth.Logout(pb.LogoutRequest(), metadata=key, timeout=T),
        lambda: api.channel.unary_unary("/xsc.orders.v1.OrderService/Anything")(b"", metadata=key, timeout=T),
    ]
    for call in denied:
        assert code_of(call).code() == grpc.StatusCode.PERMISSION_DENIED
    # Order intake is a partner method: the door forwards it to "orders" (here the stand-in echo
    # backend, which answers every call with its request).
    assert api.channel.unary_unary("/xsc.orders.v1.OrderService/SubmitOrder")(b"", metadata=key, timeout=T) == b""
    # Rotation: two active keys, a third is refused until one is revoked.
    second = api.keys.CreateKey(pb.CreateKeyRequest(partner_id=partner, channel="mall"), metadata=admin, timeout=T)
    third = code_of(api.keys.CreateKey, pb.CreateKeyRequest(partner_id=partner, channel="mall"), metadata=admin, timeout=T)
    assert third.code() == grpc.StatusCode.FAILED_PRECONDITION
    listed = api.keys.ListKeys(pb.ListKeysRequest(partner_id=partner), metadata=admin, timeout=T).keys
    assert len(listed) == 2 and all(not k.display_prefix == first.secret for k in listed)
    api.keys.RevokeKey(pb.RevokeKeyRequest(key_id=first.key.id), metadata=admin, timeout=T)
    assert code_of(api.auth.WhoAmI, pb.WhoAmIRequest(), metadata=key, timeout=T).code() == grpc.StatusCode.UNAUTHENTICATED
    api.auth.WhoAmI(pb.WhoAmIRequest(), metadata=Api.bearer(second.secret), timeout=T)


def test_streaming_calls_pass_through(api, admin, stubs):
    m = stubs.messages_pb2
    test = stubs.test_pb2_grpc.TestServiceStub(api.channel)
    sizes = [1, 10, 100, 1000]
    request = m.StreamingOutputCallRequest(response_parameters=[m.ResponseParameters(size=s) for s in sizes])
    got = [len(r.payload.body) for r in test.StreamingOutputCall(request, metadata=admin, timeout=T)]
    assert got == sizes
    requests = [m.StreamingOutputCallRequest(response_parameters=[m.ResponseParameters(size=s)],
                                             payload=m.Payload(body=b"x" * s)) for s in sizes]
    got = [len(r.payload.body) for r in test.FullDuplexCall(iter(requests), metadata=admin, timeout=T)]
    assert got == sizes
    total = test.StreamingInputCall(iter([m.StreamingInputCallRequest(payload=m.Payload(body=b"y" * s)) for s in sizes]),
                                    metadata=admin, timeout=T)
    assert total.aggregated_payload_size == sum(sizes)
    # Without credentials the gateway refuses before the backend is involved.
    with pytest.raises(grpc.RpcError) as failure:
        list(test.StreamingOutputCall(request, timeout=T))
    assert failure.value.code() == grpc.StatusCode.UNAUTHENTICATED


def test_a_backend_that_is_down_answers_unavailable(api, admin):
    call = api.channel.unary_unary("/xsc.customers.v1.CustomerService/Get")
    started = time.monotonic()
    assert code_of(call, b"", metadata=admin, timeout=T).code() == grpc.StatusCode.UNAVAILABLE
    print(f"\nbackend down -> UNAVAILABLE after {(time.monotonic() - started) * 1000:.1f} ms")


def test_health_and_reflection_cover_the_system(api):
    health = health_pb2_grpc.HealthStub(api.channel)
    assert health.Check(health_pb2.HealthCheckRequest(service=""), timeout=T).status == health_pb2.HealthCheckResponse.SERVING
    assert health.Check(health_pb2.HealthCheckRequest(service="xsc.gateway.v1.AuthService"),
                        timeout=T).status == health_pb2.HealthCheckResponse.SERVING
    stub = reflection_pb2_grpc.ServerReflectionStub(api.channel)
    answer = next(stub.ServerReflectionInfo(iter([reflection_pb2.ServerReflectionRequest(list_services="")]), timeout=T))
    names = {s.name for s in answer.list_services_response.service}
    assert {"xsc.gateway.v1.AuthService", "xsc.gateway.v1.AccountService", "xsc.gateway.v1.OrgService",
            "xsc.gateway.v1.PartnerKeyService", "grpc.testing.TestService"} <= names


def test_session_expiry(database, pb):
    server = gs.start_gateway(database, {}, {"XSC_SESSION_TTL_SECONDS": "2"}, name="xsc-gateway-short-ttl")
    try:
        with grpc.insecure_channel(server.address) as ch:
            api = Api(pb, ch)
            login = wait_for_admin(api)
            creds = Api.bearer(login.session_token)
            api.auth.WhoAmI(api.pb.WhoAmIRequest(), metadata=creds, timeout=T)
            assert login.expires_at_ms - time.time() * 1000 <= 2000
            time.sleep(max(0.0, login.expires_at_ms / 1000 - time.time()) + 0.3)
            error = code_of(api.auth.WhoAmI, api.pb.WhoAmIRequest(), metadata=creds, timeout=T)
            assert error.code() == grpc.StatusCode.UNAUTHENTICATED
    finally:
        server.stop()


def test_rate_limit_accepts_no_more_than_burst_plus_rate_times_time(database, pb):
    burst, rate = 5, 10.0
    server = gs.start_gateway(database, {}, {"XSC_RATE_BURST": str(burst), "XSC_RATE_PER_SECOND": str(rate)},
                              name="xsc-gateway-rate")
    try:
        with grpc.insecure_channel(server.address) as ch:
            api = Api(pb, ch)
            creds = Api.bearer(wait_for_admin(api).session_token)
            accepted = refused = 0
            retry_info_seen = False
            started = time.monotonic()
            while time.monotonic() - started < 2.0:
                try:
                    api.auth.WhoAmI(api.pb.WhoAmIRequest(), metadata=creds, timeout=T)
                    accepted += 1
                except grpc.RpcError as error:
                    assert error.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
                    refused += 1
                    details = dict(error.trailing_metadata()).get("grpc-status-details-bin")
                    status = pb["status_pb2"].Status.FromString(details)
                    info = pb["error_details_pb2"].RetryInfo()
                    retry_info_seen = retry_info_seen or status.details[0].Unpack(info)
            elapsed = time.monotonic() - started
            bound = burst + rate * elapsed
            print(f"\nrate limit: burst {burst}, rate {rate}/s, {elapsed:.2f} s: accepted {accepted} "
                  f"(bound {bound:.1f}), refused {refused}")
            assert accepted <= bound
            assert refused > 0 and retry_info_seen
    finally:
        server.stop()


def test_seed_drill_builds_the_drill_org_through_the_gateway_and_is_idempotent(api, admin, gateway):
    import subprocess
    env = {**os.environ, "XSC_ADMIN_PASSWORD": gs.ADMIN_PASSWORD, "XSC_DRILL_PASSWORD": "drill-password-test"}
    # Orders here is the metadata echo: seed only the organisation and keys (test_drill.py seeds it all).
    argv = [str(wire_support.binary("xsc")), "seed-drill", "--gateway", gateway.address, "--skip-orders"]
    first = subprocess.run(argv, capture_output=True, text=True, timeout=120, env=env)
    assert first.returncode == 0, first.stdout + first.stderr
    assert "shown once: xsc_pk_" in first.stdout
    again = subprocess.run(argv, capture_output=True, text=True, timeout=120, env=env)
    assert again.returncode == 0, again.stdout + again.stderr
    assert "xsc_pk_" in again.stdout and "shown once" not in again.stdout  # no second key
    pb = api.pb
    team = "/hq/cq/cq-o1/cq-o1-d3/t7"
    team_admin = Api.bearer(api.login("13900000006", "drill-password-test").session_token)
    members = api.accounts.ListAccounts(pb.ListAccountsRequest(), metadata=team_admin, timeout=T).accounts
    assert sorted(m.role for m in members) == sorted([pb.ACCOUNT_ROLE_TEAM_ADMIN, pb.ACCOUNT_ROLE_SALESPERSON,
                                                      pb.ACCOUNT_ROLE_INTERMEDIARY])
    assert {m.node_path for m in members} == {team}
    whole = api.accounts.ListAccounts(pb.ListAccountsRequest(under_path="/hq/cq"), metadata=admin, timeout=T).accounts
    assert len(whole) == 8
    nodes = api.org.ListNodes(pb.ListNodesRequest(under_path="/hq/cq"), metadata=admin, timeout=T).nodes
    assert [n.path for n in nodes] == ["/hq/cq", "/hq/cq/cq-o1", "/hq/cq/cq-o1/cq-o1-d3", team]


def test_gateway_health_mirrors_each_backend(api):
    health = health_pb2_grpc.HealthStub(api.channel)
    SERVING = health_pb2.HealthCheckResponse.SERVING

    def status(name):
        return health.Check(health_pb2.HealthCheckRequest(service=name), timeout=T).status

    deadline = time.monotonic() + 30  # liveness bound: the probe runs every 2 s
    while status("interop") != SERVING and time.monotonic() < deadline:
        time.sleep(0.2)
    assert status("interop") == SERVING and status("grpc.testing.TestService") == SERVING
    # customers: nobody listens; orders: the stand-in backend has no health service.
    assert status("customers") == health_pb2.HealthCheckResponse.NOT_SERVING
    assert status("orders") == health_pb2.HealthCheckResponse.NOT_SERVING



def test_creates_are_idempotent_with_an_idempotency_key(api, admin):
    pb = api.pb
    team = make_team(api, admin, "ik")
    key = (("idempotency-key", "create-" + os.urandom(4).hex()),)
    request = pb.CreateAccountRequest(name="重试", phone=fresh_phone(), role=pb.ACCOUNT_ROLE_SALESPERSON, node_path=team,
                                      initial_password="member-password-1")
    first = api.accounts.CreateAccount(request, metadata=admin + key, timeout=T)
    again = api.accounts.CreateAccount(request, metadata=admin + key, timeout=T)
    assert again.id == first.id
    other = pb.CreateAccountRequest(name="别人", phone=fresh_phone(), role=pb.ACCOUNT_ROLE_SALESPERSON, node_path=team,
                                    initial_password="member-password-1")
    reused = code_of(api.accounts.CreateAccount, other, metadata=admin + key, timeout=T)
    assert reused.code() == grpc.StatusCode.FAILED_PRECONDITION
    # Without a key, the phone (natural key) refuses a duplicate.
    assert code_of(api.accounts.CreateAccount, request, metadata=admin, timeout=T).code() == grpc.StatusCode.ALREADY_EXISTS


def test_metadata_trailers_and_deadlines_pass_through(api, admin, stubs):
    m = stubs.messages_pb2
    test = stubs.test_pb2_grpc.TestServiceStub(api.channel)
    # The interop server echoes these two (grpc interop "custom_metadata").
    metadata = admin + (("x-grpc-test-echo-initial", "initial-value"), ("x-grpc-test-echo-trailing-bin", b"\x0a\x0b\x0a"))
    response, call = test.UnaryCall.with_call(m.SimpleRequest(response_size=3), metadata=metadata, timeout=T)
    assert len(response.payload.body) == 3
    assert ("x-grpc-test-echo-initial", "initial-value") in call.initial_metadata()
    assert ("x-grpc-test-echo-trailing-bin", b"\x0a\x0b\x0a") in call.trailing_metadata()
    # A status from the backend comes back unchanged.
    error = code_of(test.UnaryCall, m.SimpleRequest(response_status=m.EchoStatus(code=9, message="from the backend")),
                    metadata=admin, timeout=T)
    assert error.code() == grpc.StatusCode.FAILED_PRECONDITION and error.details() == "from the backend"
    # The client's deadline reaches the backend: a response due in 5 s ends at the 0.5 s deadline.
    slow = m.StreamingOutputCallRequest(response_parameters=[m.ResponseParameters(size=1, interval_us=5_000_000)])
    with pytest.raises(grpc.RpcError) as failure:
        list(test.StreamingOutputCall(slow, metadata=admin, timeout=0.5))
    assert failure.value.code() == grpc.StatusCode.DEADLINE_EXCEEDED


def test_change_password_signs_out_the_other_sessions(api, admin):
    pb = api.pb
    team = make_team(api, admin, "cp")
    phone, password = create_account(api, admin, team, pb.ACCOUNT_ROLE_SALESPERSON)
    mine = Api.bearer(api.login(phone, password).session_token)
    other = Api.bearer(api.login(phone, password).session_token)
    wrong = code_of(api.accounts.ChangePassword, pb.ChangePasswordRequest(current_password="not-it-at-all",
                                                                          new_password="new-password-123"),
                    metadata=mine, timeout=T)
    assert wrong.code() == grpc.StatusCode.UNAUTHENTICATED
    api.accounts.ChangePassword(pb.ChangePasswordRequest(current_password=password, new_password="new-password-123"),
                                metadata=mine, timeout=T)
    api.auth.WhoAmI(pb.WhoAmIRequest(), metadata=mine, timeout=T)
    assert code_of(api.auth.WhoAmI, pb.WhoAmIRequest(), metadata=other, timeout=T).code() == grpc.StatusCode.UNAUTHENTICATED
    assert code_of(api.login, phone, password).code() == grpc.StatusCode.UNAUTHENTICATED
    api.login(phone, "new-password-123")


def test_accounts_are_re_enabled_and_change_phone_within_the_callers_reach(api, admin):
    pb = api.pb
    team = make_team(api, admin, "en")
    team_admin_phone, team_admin_password = create_account(api, admin, team, pb.ACCOUNT_ROLE_TEAM_ADMIN)
    team_admin = Api.bearer(api.login(team_admin_phone, team_admin_password).session_token)
    phone, password = create_account(api, team_admin, team, pb.ACCOUNT_ROLE_SALESPERSON)
    member = api.login(phone, password).account
    api.accounts.DisableAccount(pb.DisableAccountRequest(account_id=member.id), metadata=team_admin, timeout=T)
    assert code_of(api.login, phone, password).code() == grpc.StatusCode.UNAUTHENTICATED
    enabled = api.accounts.EnableAccount(pb.EnableAccountRequest(account_id=member.id), metadata=team_admin, timeout=T)
    assert enabled.enabled
    api.login(phone, password)

    new_phone = fresh_phone()
    moved = api.accounts.ChangeAccountPhone(pb.ChangeAccountPhoneRequest(account_id=member.id, phone="+86 " + new_phone),
                                            metadata=team_admin, timeout=T)
    assert moved.phone == new_phone
    api.login(new_phone, password)
    assert code_of(api.login, phone, password).code() == grpc.StatusCode.UNAUTHENTICATED
    taken = code_of(api.accounts.ChangeAccountPhone, pb.ChangeAccountPhoneRequest(account_id=member.id, phone=team_admin_phone),
                    metadata=team_admin, timeout=T)
    assert taken.code() == grpc.StatusCode.ALREADY_EXISTS
    bad = code_of(api.accounts.ChangeAccountPhone, pb.ChangeAccountPhoneRequest(account_id=member.id, phone="12345"),
                  metadata=team_admin, timeout=T)
    assert bad.code() == grpc.StatusCode.INVALID_ARGUMENT

    # A team admin cannot bring back an account it could not have made, nor one of another team.
    other_admin = api.accounts.CreateAccount(pb.CreateAccountRequest(
        name="管理员", phone=fresh_phone(), role=pb.ACCOUNT_ROLE_TEAM_ADMIN, node_path=team,
        initial_password="member-password-1"), metadata=admin, timeout=T)
    api.accounts.DisableAccount(pb.DisableAccountRequest(account_id=other_admin.id), metadata=admin, timeout=T)
    refused = code_of(api.accounts.EnableAccount, pb.EnableAccountRequest(account_id=other_admin.id), metadata=team_admin, timeout=T)
    assert refused.code() == grpc.StatusCode.PERMISSION_DENIED
    elsewhere = make_team(api, admin, "en2")
    stranger = api.accounts.CreateAccount(pb.CreateAccountRequest(
        name="外人", phone=fresh_phone(), role=pb.ACCOUNT_ROLE_DEALER, node_path=elsewhere,
        initial_password="member-password-1"), metadata=admin, timeout=T)
    hidden = code_of(api.accounts.EnableAccount, pb.EnableAccountRequest(account_id=stranger.id), metadata=team_admin, timeout=T)
    missing = code_of(api.accounts.EnableAccount, pb.EnableAccountRequest(account_id=str(uuid.uuid4())), metadata=team_admin, timeout=T)
    assert hidden.code() == missing.code() == grpc.StatusCode.NOT_FOUND and hidden.details() == missing.details()
    # hq_admin reaches every account.
    assert api.accounts.EnableAccount(pb.EnableAccountRequest(account_id=other_admin.id), metadata=admin, timeout=T).enabled


def test_nodes_are_renamed_by_hq_admin_only_and_keep_their_path(api, admin):
    pb = api.pb
    team = make_team(api, admin, "rn")
    renamed = api.org.RenameNode(pb.RenameNodeRequest(path=team, name=" 第一团购小组 "), metadata=admin, timeout=T)
    assert renamed.name == "第一团购小组" and renamed.path == team
    listed = api.org.ListNodes(pb.ListNodesRequest(under_path=team), metadata=admin, timeout=T).nodes
    assert [(n.path, n.name) for n in listed] == [(team, "第一团购小组")]
    assert code_of(api.org.RenameNode, pb.RenameNodeRequest(path="/hq/nope", name="x"),
                   metadata=admin, timeout=T).code() == grpc.StatusCode.NOT_FOUND
    assert code_of(api.org.RenameNode, pb.RenameNodeRequest(path=team, name=""),
                   metadata=admin, timeout=T).code() == grpc.StatusCode.INVALID_ARGUMENT
    team_admin_phone, password = create_account(api, admin, team, pb.ACCOUNT_ROLE_TEAM_ADMIN)
    team_admin = Api.bearer(api.login(team_admin_phone, password).session_token)
    assert code_of(api.org.RenameNode, pb.RenameNodeRequest(path=team, name="x"),
                   metadata=team_admin, timeout=T).code() == grpc.StatusCode.PERMISSION_DENIED


def test_an_account_lists_and_ends_its_own_sessions(api, admin):
    pb = api.pb
    team = make_team(api, admin, "ss")
    phone, password = create_account(api, admin, team, pb.ACCOUNT_ROLE_DEALER)
    laptop = Api.bearer(api.login(phone, password).session_token)
    lost_phone = Api.bearer(api.login(phone, password).session_token)
    sessions = api.auth.ListSessions(pb.ListSessionsRequest(), metadata=laptop, timeout=T).sessions
    assert len(sessions) == 2 and sum(s.current for s in sessions) == 1
    other = next(s for s in sessions if not s.current)
    assert other.expires_at_ms > other.created_at_ms > 0

    # Someone else cannot end it, nor learn that it exists.
    stranger_phone, stranger_password = create_account(api, admin, team, pb.ACCOUNT_ROLE_DEALER)
    stranger = Api.bearer(api.login(stranger_phone, stranger_password).session_token)
    foreign = code_of(api.auth.RevokeSession, pb.RevokeSessionRequest(session_id=other.id), metadata=stranger, timeout=T)
    unknown = code_of(api.auth.RevokeSession, pb.RevokeSessionRequest(session_id=str(uuid.uuid4())), metadata=stranger, timeout=T)
    assert foreign.code() == unknown.code() == grpc.StatusCode.NOT_FOUND and foreign.details() == unknown.details()
    api.auth.WhoAmI(pb.WhoAmIRequest(), metadata=lost_phone, timeout=T)

    api.auth.RevokeSession(pb.RevokeSessionRequest(session_id=other.id), metadata=laptop, timeout=T)
    ended = code_of(api.auth.WhoAmI, pb.WhoAmIRequest(), metadata=lost_phone, timeout=T)
    assert ended.code() == grpc.StatusCode.UNAUTHENTICATED
    api.auth.WhoAmI(pb.WhoAmIRequest(), metadata=laptop, timeout=T)
    remaining = api.auth.ListSessions(pb.ListSessionsRequest(), metadata=laptop, timeout=T).sessions
    assert [s.current for s in remaining] == [True]
    again = code_of(api.auth.RevokeSession, pb.RevokeSessionRequest(session_id=other.id), metadata=laptop, timeout=T)
    assert again.code() == grpc.StatusCode.NOT_FOUND
