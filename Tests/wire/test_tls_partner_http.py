"""The partner HTTP/JSON API over TLS on the gateway's public TLS port (issue 19): a partner whose
HTTPS library speaks HTTP/1.1 only (Python `requests`) reaches it on the same port as gRPC and
HTTP/2 clients. The TLS listener offers ALPN h2 then http/1.1 (h2 preferred; a client offering no
ALPN gets HTTP/1.1) and hands HTTP/1.1 connections to the gateway's HTTP/1.1 connection handling,
with its limits.

One system (gateway, orders, notifications) on a fresh database; the gateway with TLS
(`optional` client certificates from a partner CA). Certificates from a test CA made with the
`openssl` command.

- `requests` with verify=<test CA>: submit (idempotent), get, list and the feed as server-sent
  events over https; the OpenAPI document;
- `curl --http1.1` and `curl --http2` on the same port; a client without ALPN gets HTTP/1.1;
- a malformed request over TLS gets 400 and the connection closes; the body limit (413) and the
  per-client connection cap are the plain listener's, counted together with its connections;
- a partner key bound to a client certificate (CreateKey's client_cert_sha256, shown by ListKeys)
  works only on a TLS connection presenting that certificate: grpcio with
  ssl_channel_credentials(private_key, certificate_chain), requests with cert=, curl --http2 with
  --cert; no certificate, another certificate, h2c or plain HTTP/1.1 get UNAUTHENTICATED / 401
  exactly as a wrong key does.

Needs DATABASE_URL (a superuser URL; `make test` provides one), `openssl` and `curl`."""
from __future__ import annotations

import json
import re
import socket
import ssl
import subprocess
import time
import uuid

import grpc
import pytest
import requests

import wire_support
from cluster_support import ADMIN_PASSWORD, ADMIN_PHONE, Cluster
from wire_support import run_xsc
from tls_support import CLIENT_EXT, SERVER_EXT, file_fingerprint, issue, make_ca, require_tools

T = 30


@pytest.fixture(scope="module")
def certificates(tmp_path_factory):
    """ca (issues the gateway's certificate: server), partner-ca (issues partners' client
    certificates: partner, other-partner)."""
    require_tools("openssl", "curl")
    folder = tmp_path_factory.mktemp("tls-partner")
    for name in ("ca", "partner-ca"):
        make_ca(folder, name)
    issue(folder, "server", "/CN=localhost/O=XSC", "ca", SERVER_EXT)
    issue(folder, "partner", "/CN=partner-17/O=Example Partner Ltd", "partner-ca", CLIENT_EXT)
    issue(folder, "other-partner", "/CN=partner-18/O=Another Partner Ltd", "partner-ca", CLIENT_EXT)
    return folder


@pytest.fixture(scope="module")
def system(tmp_path_factory, certificates):
    """(cluster, TLS port): the gateway also serving TLS."""
    tls_port = wire_support.free_port()
    env = {"gateway": {"XSC_TLS_LISTEN": f"127.0.0.1:{tls_port}",
                       "XSC_TLS_CERT_FILE": str(certificates / "server.pem"),
                       "XSC_TLS_KEY_FILE": str(certificates / "server.key"),
                       "XSC_TLS_CLIENT_CA_FILE": str(certificates / "partner-ca.pem"),
                       "XSC_TLS_CLIENT_CERTS": "optional"}}
    with Cluster.started(tmp_path_factory.mktemp("tls-partner-cluster"), env=env) as cluster:
        yield cluster, tls_port
        cluster.assert_all_running()


@pytest.fixture(scope="module")
def key(system):
    cluster, _ = system
    return cluster.drill_partner_key()


def https(system) -> str:
    return f"https://localhost:{system[1]}"


def auth(key: str, **extra: str) -> dict[str, str]:
    return {"Authorization": "Bearer " + key, **extra}


def order_body(external_id: str, quantity: int = 2) -> dict:
    return {"source": "SOURCE_MALL", "externalId": external_id, "deliveryDistrictId": "cq-o1-d3",
            "customer": {"name": "顾客 周", "phone": "13700000001", "address": "重庆市渝中区解放碑 1 号"},
            "lines": [{"skuId": "drill-baijiu-500ml", "quantity": quantity, "unitPriceFen": "52800"}]}


def session(certificates, client: str | None = None) -> requests.Session:
    """A requests session trusting the test CA (HTTP/1.1 only: requests has no HTTP/2)."""
    made = requests.Session()
    # Without this, REQUESTS_CA_BUNDLE / CURL_CA_BUNDLE in the environment replace `verify`.
    made.trust_env = False
    made.verify = str(certificates / "ca.pem")
    if client:
        made.cert = (str(certificates / f"{client}.pem"), str(certificates / f"{client}.key"))
    return made


def curl(certificates, port: int, version_flag: str, path: str, *args: str) -> tuple[str, str, str]:
    """(HTTP version, status, body) of one curl request over TLS."""
    done = subprocess.run(["curl", "-sS", version_flag, "--cacert", str(certificates / "ca.pem"), "--max-time", str(T),
                           "--resolve", f"localhost:{port}:127.0.0.1", "-o", "-", "-w", "\n%{http_version} %{http_code}",
                           f"https://localhost:{port}{path}", *args], capture_output=True, text=True, timeout=T + 10)
    assert done.returncode == 0, done.stderr
    body, _, tail = done.stdout.rpartition("\n")
    version, status = tail.split(" ")
    return version, status, body


def tls_socket(certificates, port: int, alpn: tuple[str, ...] | None) -> ssl.SSLSocket:
    context = ssl.create_default_context(cafile=str(certificates / "ca.pem"))
    if alpn:
        context.set_alpn_protocols(list(alpn))
    raw = socket.create_connection(("127.0.0.1", port), timeout=T)
    try:
        return context.wrap_socket(raw, server_hostname="localhost")
    except BaseException:
        raw.close()
        raise


def read_until_closed(connection: ssl.SSLSocket) -> bytes:
    received = b""
    while True:
        try:
            chunk = connection.recv(65536)
        except (ssl.SSLEOFError, ConnectionResetError):
            return received
        if not chunk:
            return received
        received += chunk


def sse_events(response: requests.Response, count: int) -> list[dict]:
    events, current = [], {}
    for raw in response.iter_lines():
        line = raw.decode("utf-8")
        if line == "":
            if "data" in current:
                events.append(current)
                if len(events) == count:
                    return events
            current = {}
        elif not line.startswith(":"):
            name, _, value = line.partition(": ")
            current[name] = value
    return events


# -- HTTP/1.1 over TLS -------------------------------------------------------------------------

def test_requests_submits_gets_and_lists_orders_over_https(system, key, certificates):
    cluster, _ = system
    base = https(system)
    with session(certificates) as client:
        external_id = "tls-" + uuid.uuid4().hex[:8]
        headers = auth(key, **{"Idempotency-Key": "k-" + external_id})
        first = client.post(base + "/v1/orders", json=order_body(external_id), headers=headers, timeout=T)
        assert first.status_code == 200, first.text
        assert first.raw.version == 11, "requests speaks HTTP/1.1"
        order = first.json()["order"]
        assert order["externalId"] == external_id and order["totalFen"] == "105600"
        again = client.post(base + "/v1/orders", json=order_body(external_id), headers=headers, timeout=T)
        assert again.status_code == 200 and again.content == first.content, "the same key answers the first result"
        assert cluster.query("orders", "SELECT count(*) FROM orders WHERE external_id = :'p1'", external_id) == [["1"]]
        # Keep-alive: the same TLS connection carries the following requests.
        got = client.get(base + "/v1/orders/" + order["id"], headers=auth(key), timeout=T)
        assert got.status_code == 200 and got.json()["order"]["id"] == order["id"]
        listed = client.get(base + "/v1/orders", params={"page.pageSize": "100"}, headers=auth(key), timeout=T)
        assert listed.status_code == 200 and order["id"] in [o["id"] for o in listed.json()["orders"]]
        document = client.get(base + "/openapi.json", timeout=T)
        assert document.status_code == 200 and document.json()["openapi"].startswith("3.1")
        missing = client.get(base + "/v1/orders/" + order["id"], timeout=T)
        assert missing.status_code == 401 and missing.json()["code"] == 16


def test_the_feed_streams_as_server_sent_events_over_https(system, key, certificates):
    base = https(system)
    with session(certificates) as client:
        for _ in range(2):
            made = client.post(base + "/v1/orders", json=order_body("tls-feed-" + uuid.uuid4().hex[:8]), headers=auth(key),
                               timeout=T)
            assert made.status_code == 200, made.text
        listed = client.get(base + "/v1/partner-events", params={"pageSize": "100"}, headers=auth(key), timeout=T).json()["events"]
        assert len(listed) >= 2
        with client.get(base + "/v1/partner-events:watch", headers=auth(key), stream=True, timeout=T) as feed:
            assert feed.status_code == 200 and feed.headers["content-type"] == "text/event-stream; charset=utf-8"
            assert feed.headers["transfer-encoding"] == "chunked"
            got = sse_events(feed, 2)
        assert [e["id"] for e in got] == [e["cursor"] for e in listed[:2]]
        assert json.loads(got[0]["data"]) == listed[0]


def test_curl_http11_and_http2_share_the_tls_port(system, key, certificates):
    _, port = system
    version, status, body = curl(certificates, port, "--http1.1", "/v1/orders?page.pageSize=1", "-H", "authorization: Bearer " + key)
    assert (version, status) == ("1.1", "200"), body
    version, status, body = curl(certificates, port, "--http2", "/v1/orders?page.pageSize=1", "-H", "authorization: Bearer " + key)
    assert (version, status) == ("2", "200"), body
    # And gRPC over h2 on it, as before (curl speaking gRPC's framing by hand).
    version, status, _ = curl(certificates, port, "--http2", "/grpc.health.v1.Health/Check", "-H", "content-type: application/grpc",
                              "-H", "te: trailers", "--data-binary", "@/dev/null")
    assert (version, status) == ("2", "200")


def test_alpn_prefers_h2_and_a_client_without_alpn_gets_http11(system, certificates):
    _, port = system
    with tls_socket(certificates, port, ("http/1.1", "h2")) as both:
        assert both.selected_alpn_protocol() == "h2", "the server's preference"
    with tls_socket(certificates, port, ("http/1.1",)) as http1:
        assert http1.selected_alpn_protocol() == "http/1.1"
    with tls_socket(certificates, port, None) as plain:
        assert plain.selected_alpn_protocol() is None
        plain.sendall(b"GET /openapi.json HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        answer = read_until_closed(plain)
    assert answer.startswith(b"HTTP/1.1 200 OK\r\n") and b'"openapi"' in answer
    with pytest.raises(ssl.SSLError):
        tls_socket(certificates, port, ("spdy/3",)).close()


def test_a_malformed_request_over_tls_gets_400_and_the_connection_closes(system, certificates):
    _, port = system
    with tls_socket(certificates, port, ("http/1.1",)) as connection:
        connection.sendall(b"GET /v1/orders HTTP/1.1\r\nHost: localhost\r\nBad Header Line\r\n\r\n")
        answer = read_until_closed(connection)
    assert answer.startswith(b"HTTP/1.1 400 Bad Request\r\n"), answer
    assert b"connection: close" in answer.lower()
    # Request smuggling's tool is refused as on the plain port; so is an oversized head.
    with tls_socket(certificates, port, ("http/1.1",)) as connection:
        connection.sendall(b"POST /v1/orders HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n")
        assert read_until_closed(connection).startswith(b"HTTP/1.1 501 ")
    with tls_socket(certificates, port, ("http/1.1",)) as connection:
        connection.sendall(b"GET / HTTP/1.1\r\nHost: localhost\r\nX-Big: " + b"a" * 20000 + b"\r\n\r\n")
        assert read_until_closed(connection).startswith(b"HTTP/1.1 431 ")


def test_a_slow_request_over_tls_is_cut_off_like_on_the_plain_port(system, certificates):
    """Slowloris: half a request head, then silence. The HTTP/1.1 request timeout (10 s from the
    connection's start) closes it, as on 7180; the handshake's own timeout is test_tls_edge's."""
    _, port = system
    with tls_socket(certificates, port, ("http/1.1",)) as connection:
        connection.settimeout(60)
        began = time.monotonic()
        connection.sendall(b"GET /openapi.json HTTP/1.1\r\nHost: local")
        assert read_until_closed(connection) == b"", "closed without an answer"
    print(f"\na slow HTTP/1.1 request over TLS was closed after {time.monotonic() - began:.1f} s")


def test_the_plain_listeners_limits_apply(system, key, certificates):
    cluster, port = system
    with session(certificates) as client:
        too_large = client.post(https(system) + "/v1/orders", data=b" " * ((1 << 20) + 1),
                                headers=auth(key, **{"content-type": "application/json"}), timeout=T)
        assert too_large.status_code == 413
    # 64 connections per client address, TLS and plain together: 40 plain + 24 TLS fill it.
    host, plain_port = cluster.http_url().removeprefix("http://").split(":")
    held: list[socket.socket] = []
    try:
        held += [socket.create_connection((host, int(plain_port)), timeout=T) for _ in range(40)]
        held += [tls_socket(certificates, port, ("http/1.1",)) for _ in range(24)]
        for connection in held:  # each one answered, so each one counted
            connection.sendall(b"GET /openapi.json HTTP/1.1\r\nHost: localhost\r\n\r\n")
            assert connection.recv(12) == b"HTTP/1.1 200"
        one_more = tls_socket(certificates, port, ("http/1.1",))
        held.append(one_more)
        one_more.sendall(b"GET /openapi.json HTTP/1.1\r\nHost: localhost\r\n\r\n")
        assert read_until_closed(one_more) == b"", "the 65th connection is closed without an answer"
    finally:
        for connection in held:
            connection.close()


# -- partner keys bound to a client certificate ----------------------------------------------------

def grpc_tls_channel(certificates, port: int, client: str | None) -> grpc.Channel:
    key = (certificates / f"{client}.key").read_bytes() if client else None
    chain = (certificates / f"{client}.pem").read_bytes() if client else None
    credentials = grpc.ssl_channel_credentials(root_certificates=(certificates / "ca.pem").read_bytes(),
                                               private_key=key, certificate_chain=chain)
    return grpc.secure_channel(f"127.0.0.1:{port}", credentials, options=[("grpc.ssl_target_name_override", "localhost")])


def who_am_i(cluster, channel: grpc.Channel, secret: str):
    """(code, details, partner id) of WhoAmI with the key."""
    stub = cluster.stubs.gateway_grpc.AuthServiceStub(channel)
    try:
        answer = stub.WhoAmI(cluster.stubs.gateway.WhoAmIRequest(), metadata=[("authorization", "Bearer " + secret)], timeout=T)
        return grpc.StatusCode.OK, "", answer.partner_key.partner_id
    except grpc.RpcError as error:
        return error.code(), error.details(), None


@pytest.fixture(scope="module")
def bound_key(system, certificates):
    """(partner id, secret) of a key bound to the `partner` certificate, made as an operator would:
    the fingerprint as `openssl x509 -noout -fingerprint -sha256` prints it."""
    cluster, _ = system
    printed = subprocess.run(["openssl", "x509", "-in", str(certificates / "partner.pem"), "-noout", "-fingerprint", "-sha256"],
                             capture_output=True, text=True, check=True).stdout.strip()
    assert re.fullmatch(r"(?i)sha256 Fingerprint=([0-9A-F]{2}:){31}[0-9A-F]{2}", printed), printed
    partner_id = "tls-bound-" + uuid.uuid4().hex[:6]
    keys = cluster.stubs.gateway_grpc.PartnerKeyServiceStub(cluster.gateway_channel())
    made = keys.CreateKey(cluster.stubs.gateway.CreateKeyRequest(partner_id=partner_id, channel="mall", client_cert_sha256=printed),
                          metadata=cluster.admin(), timeout=T)
    assert made.key.client_cert_sha256 == file_fingerprint(certificates, "partner")
    return partner_id, made.secret


def test_list_keys_shows_the_binding_and_a_malformed_fingerprint_is_refused(system, bound_key, certificates):
    cluster, _ = system
    partner_id, _ = bound_key
    keys = cluster.stubs.gateway_grpc.PartnerKeyServiceStub(cluster.gateway_channel())
    listed = keys.ListKeys(cluster.stubs.gateway.ListKeysRequest(partner_id=partner_id), metadata=cluster.admin(), timeout=T)
    assert [k.client_cert_sha256 for k in listed.keys] == [file_fingerprint(certificates, "partner")]
    assert cluster.query("gateway", "SELECT client_cert_sha256 FROM partner_keys WHERE partner_id = :'p1'", partner_id) \
        == [[file_fingerprint(certificates, "partner")]]
    with pytest.raises(grpc.RpcError) as refused:
        keys.CreateKey(cluster.stubs.gateway.CreateKeyRequest(partner_id=partner_id, channel="mall", client_cert_sha256="ab:cd"),
                       metadata=cluster.admin(), timeout=T)
    assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    violations = [v.field for d in cluster.stubs.error_details(refused.value) if hasattr(d, "field_violations")
                  for v in d.field_violations]
    assert violations == ["client_cert_sha256"]


def test_a_bound_key_works_over_grpc_only_with_its_certificate(system, bound_key, certificates):
    cluster, port = system
    partner_id, secret = bound_key
    wrong_key = "xsc_pk_" + "0" * 40
    channels = {client: grpc_tls_channel(certificates, port, client) for client in ("partner", "other-partner", None)}
    try:
        assert who_am_i(cluster, channels["partner"], secret) == (grpc.StatusCode.OK, "", partner_id)
        # What a wrong key gets, on a connection with the right certificate:
        refusal = who_am_i(cluster, channels["partner"], wrong_key)
        assert refusal[0] == grpc.StatusCode.UNAUTHENTICATED and "client certificate" in refusal[1], refusal
        # The bound key without its certificate: the same answer, wherever it comes from.
        assert who_am_i(cluster, channels[None], secret) == refusal, "TLS without a client certificate"
        assert who_am_i(cluster, channels["other-partner"], secret) == refusal, "another partner's certificate"
        assert who_am_i(cluster, cluster.gateway_channel(), secret) == refusal, "h2c on the inside port"
        # A forwarded call (orders) is admitted by the same door.
        orders = cluster.stubs.orders_grpc.OrderServiceStub(channels["partner"])
        listed = orders.ListOrders(cluster.stubs.orders.ListOrdersRequest(), metadata=[("authorization", "Bearer " + secret)],
                                   timeout=T)
        assert list(listed.orders) == []
        with pytest.raises(grpc.RpcError) as refused:
            cluster.stubs.orders_grpc.OrderServiceStub(channels[None]).ListOrders(
                cluster.stubs.orders.ListOrdersRequest(), metadata=[("authorization", "Bearer " + secret)], timeout=T)
        assert (refused.value.code(), refused.value.details()) == refusal[:2]
    finally:
        for channel in channels.values():
            channel.close()


def test_a_bound_key_works_over_json_only_with_its_certificate(system, bound_key, key, certificates):
    cluster, port = system
    _, secret = bound_key
    url = https(system) + "/v1/orders?page.pageSize=1"
    with session(certificates, client="partner") as client:
        assert client.get(url, headers=auth(secret), timeout=T).status_code == 200
        wrong = client.get(url, headers=auth("xsc_pk_" + "0" * 40), timeout=T)
    assert wrong.status_code == 401 and wrong.headers["www-authenticate"] == "Bearer"
    for client_name in (None, "other-partner"):
        with session(certificates, client=client_name) as client:
            refused = client.get(url, headers=auth(secret), timeout=T)
            assert (refused.status_code, refused.content) == (401, wrong.content), client_name
            # An unbound key needs no certificate.
            assert client.get(url, headers=auth(key), timeout=T).status_code == 200
    plain = requests.get(cluster.http_url() + "/v1/orders?page.pageSize=1", headers=auth(secret), timeout=T)
    assert (plain.status_code, plain.content) == (401, wrong.content), "plain HTTP/1.1"
    # JSON over HTTP/2 on the TLS port: curl with the partner's certificate, and without.
    version, status, body = curl(certificates, port, "--http2", "/v1/orders?page.pageSize=1", "-H", "authorization: Bearer " + secret,
                                 "--cert", str(certificates / "partner.pem"), "--key", str(certificates / "partner.key"))
    assert (version, status) == ("2", "200"), body
    version, status, body = curl(certificates, port, "--http2", "/v1/orders?page.pageSize=1", "-H", "authorization: Bearer " + secret)
    assert (version, status) == ("2", "401") and json.loads(body) == wrong.json()


def test_xsc_seed_drill_binds_the_new_partner_key_to_a_certificate(tmp_path, certificates):
    """`xsc seed-drill --partner-cert-sha256` (the CLI's key creation) on a gateway of its own."""
    fingerprint = file_fingerprint(certificates, "other-partner")
    with Cluster.started(tmp_path, services=("gateway",)) as cluster:
        seeded = run_xsc("seed-drill", "--gateway", cluster.address("gateway"), "--skip-orders",
                         "--partner-cert-sha256", fingerprint.upper(),
                         env={"XSC_ADMIN_PHONE": ADMIN_PHONE, "XSC_ADMIN_PASSWORD": ADMIN_PASSWORD})
        assert seeded.returncode == 0, seeded.stdout + seeded.stderr
        assert f"partner key for drill-mall is bound to the client certificate with SHA-256 {fingerprint}" in seeded.stdout
        keys = cluster.stubs.gateway_grpc.PartnerKeyServiceStub(cluster.gateway_channel())
        listed = keys.ListKeys(cluster.stubs.gateway.ListKeysRequest(partner_id="drill-mall"), metadata=cluster.admin(), timeout=T)
        assert [k.client_cert_sha256 for k in listed.keys] == [fingerprint]
        sms = keys.ListKeys(cluster.stubs.gateway.ListKeysRequest(partner_id="drill-sms"), metadata=cluster.admin(), timeout=T)
        assert [k.client_cert_sha256 for k in sms.keys] == [""], "only the partner key is bound"
