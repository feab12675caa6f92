"""The HTTP SMS-gateway provider over HTTPS (issue 6: "a real HTTP SMS-gateway provider"; real
gateways speak only https). xsc-notifications runs as a real process on a fresh database
(cluster_support) with XSC_SMS_PROVIDER=http pointed at a fake gateway written here: Python's
`ssl` server with a certificate for `localhost` from a test CA made by the `openssl` command.

- trusting the test CA (XSC_SMS_GATEWAY_CA_FILE), a Send reaches the gateway signed, over TLS,
  and the message is `sent` with the gateway's id;
- trusting another CA, or addressing the server by a name its certificate does not carry,
  nothing is sent: the message waits with the reason in `last_error` (retried, not dropped),
  and goes out once the configuration is fixed.

Needs DATABASE_URL (a superuser URL; `make test` provides one) and the `openssl` command."""
from __future__ import annotations

import base64
import hashlib
import hmac
import http.server
import json
import shutil
import ssl
import subprocess
import threading
import uuid

import pytest

from cluster_support import ACTOR_SECRET, Cluster, eventually
from wire_support import run_xsc as xsc

API_KEY = "wire-sms-key"
SIGNING_SECRET = "wire-sms-signing-secret"
LEAD_PHONE = "13812340001"
T = 30


def openssl(*args: str, cwd) -> None:
    done = subprocess.run(["openssl", *args], cwd=cwd, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr


@pytest.fixture(scope="module")
def certificates(tmp_path_factory):
    """ca.pem (trusted), stranger-ca.pem (not the gateway's issuer), and the gateway's
    server.pem/server.key for DNS:localhost only, signed by ca.pem."""
    if not shutil.which("openssl"):
        pytest.fail("the openssl command is missing (scripts/install-deps.sh installs it)")
    folder = tmp_path_factory.mktemp("tls")
    for name in ("ca", "stranger-ca"):
        openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", f"/CN=XSC test {name}",
                "-keyout", f"{name}.key", "-out", f"{name}.pem", cwd=folder)
    openssl("req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=localhost", "-keyout", "server.key",
            "-out", "server.csr", cwd=folder)
    (folder / "san.ext").write_text("subjectAltName=DNS:localhost\n")
    openssl("x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial",
            "-days", "2", "-extfile", "san.ext", "-out", "server.pem", cwd=folder)
    return folder


class FakeGateway:
    """An HTTPS SMS gateway: checks the key and the HMAC signature, answers a message id."""

    def __init__(self, certificates):
        self.received: list[dict] = []
        gateway = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                expected = hmac.new(SIGNING_SECRET.encode(), self.headers["X-Timestamp"].encode() + b"\n" + body,
                                    hashlib.sha256).hexdigest()
                if self.headers["X-Api-Key"] != API_KEY or self.headers["X-Signature"] != expected:
                    self.send_response(401)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                request = json.loads(body)
                gateway.received.append(request)
                answer = json.dumps({"message_id": "gw-" + request["client_ref"]}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, *_args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(certificates / "server.pem", certificates / "server.key")
        self.server.socket = context.wrap_socket(self.server.socket, server_side=True)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(scope="module")
def gateway(certificates):
    fake = FakeGateway(certificates)
    yield fake
    fake.close()


@pytest.fixture(scope="module")
def cluster(tmp_path_factory, gateway, certificates):
    env = {"notifications": provider_env(f"https://localhost:{gateway.port}/v1/sms", certificates / "ca.pem")}
    with Cluster.started(tmp_path_factory.mktemp("sms-https"), services=("notifications",), env=env) as running:
        yield running


def provider_env(url: str, ca_file) -> dict[str, str]:
    return {"XSC_SMS_PROVIDER": "http", "XSC_SMS_GATEWAY_URL": url, "XSC_SMS_GATEWAY_KEY": API_KEY,
            "XSC_SMS_GATEWAY_SECRET": SIGNING_SECRET, "XSC_SMS_GATEWAY_CA_FILE": str(ca_file),
            "XSC_SMS_RATE_LIMIT": "1000/1s"}


def reconfigure(cluster: Cluster, url: str, ca_file) -> None:
    cluster.stop_service("notifications")
    cluster.specs["notifications"].env.update(provider_env(url, ca_file))
    cluster.start_service("notifications")


def send(cluster: Cluster) -> str:
    """A staff SMS to LEAD_PHONE through Send (as the orders service would); its message id."""
    minted = xsc("mint-actor", "--audience", "notifications", "--account", "svc-orders", "--role", "system", "--plain",
                 env={"XSC_ACTOR_SECRET": ACTOR_SECRET})
    assert minted.returncode == 0, minted.stderr
    metadata = [(name, base64.b64decode(value)) for name, value in
                (line.split(": ", 1) for line in minted.stdout.splitlines())]
    pb = cluster.stubs.notifications
    stub = cluster.stubs.notifications_grpc.NotificationServiceStub(cluster.channel("notifications"))
    request = pb.SendRequest(phone=LEAD_PHONE, template="order_new_lead", params={"code": "A7K2", "summary": "五粮液2箱"},
                             category=pb.CATEGORY_STAFF_SLA, region_code="cq", idempotency_key="https-" + uuid.uuid4().hex)
    return stub.Send(request, metadata=metadata, timeout=T).message.id


def message(cluster: Cluster, message_id: str) -> dict:
    rows = cluster.query("notifications", """
        SELECT state, attempts, coalesce(last_error, ''), coalesce(provider_message_id, '') FROM messages WHERE id = :'p1'
        """, message_id)
    state, attempts, last_error, provider_id = rows[0]
    return {"state": state, "attempts": int(attempts), "last_error": last_error, "provider_id": provider_id}


def test_a_send_reaches_the_gateway_over_verified_tls(cluster, gateway):
    sent_id = send(cluster)
    final = eventually("the message is sent", lambda: (m := message(cluster, sent_id))["state"] == "sent" and m)
    assert final["provider_id"] == "gw-" + sent_id
    request = next(r for r in gateway.received if r["client_ref"] == sent_id)
    assert request["to"] == "+86" + LEAD_PHONE and request["region"] == "cq"


def refused(cluster, message_id: str, reason: str) -> dict:
    def probe():
        current = message(cluster, message_id)
        return current if current["attempts"] >= 1 and reason in current["last_error"] else None
    found = eventually(f"an attempt refused for: {reason}", probe)
    assert found["state"] == "queued", "a refused certificate is retried, not a final failure"
    return found


def test_an_untrusted_or_misnamed_certificate_sends_nothing_until_fixed(cluster, gateway, certificates):
    trusted_url = f"https://localhost:{gateway.port}/v1/sms"
    before = len(gateway.received)

    reconfigure(cluster, trusted_url, certificates / "stranger-ca.pem")
    untrusted = send(cluster)
    print("\nuntrusted CA:", refused(cluster, untrusted, "certificate was refused")["last_error"])

    # The certificate names localhost only; 127.0.0.1 is the same server under another name.
    reconfigure(cluster, f"https://127.0.0.1:{gateway.port}/v1/sms", certificates / "ca.pem")
    misnamed = send(cluster)
    print("other host name:", refused(cluster, misnamed, "certificate was refused")["last_error"])
    assert len(gateway.received) == before, "nothing reached the gateway through a refused certificate"

    reconfigure(cluster, trusted_url, certificates / "ca.pem")
    for message_id in (untrusted, misnamed):
        eventually(f"message {message_id} sent once the configuration is right",
                   lambda message_id=message_id: message(cluster, message_id)["state"] == "sent")
    assert {r["client_ref"] for r in gateway.received[before:]} == {untrusted, misnamed}
