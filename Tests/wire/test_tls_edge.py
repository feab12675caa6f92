"""TLS at the edge (issue 19): the gateway terminates TLS 1.2/1.3 with ALPN h2 from certificate
files given by XSC_TLS_* (README, "Deploying"), takes up a renewed certificate without a restart,
and verifies partners' client certificates when asked to. Backends stay h2c.

Two real xsc-gateway processes on one fresh database (cluster_support makes the database; the
gateways are started here with the TLS variables): `optional` client certificates on one,
`required` on the other. Certificates come from a test CA made with the `openssl` command.

- a stock grpcio client with grpc.ssl_channel_credentials (the test CA) gets health, reflection and
  a login through TLS; `curl --http2` gets the health check over TLS with h2;
- Python's ssl: ALPN h2 chosen, TLS 1.2 and 1.3 accepted, TLS 1.1 refused (even from a client
  willing to go down to it), plaintext h2c refused on the TLS port;
- required client certificates: the partner's certificate from the client CA passes, none or one
  from another CA is refused in the handshake;
- reload: the certificate files are replaced; new connections see the new certificate while a
  connection and a Health/Watch stream opened before keep going; files that do not load leave the
  last good certificate in place; the same on SIGHUP, at once (a third gateway that checks its
  files only hourly), the log naming the new certificate's subject and expiry or why it failed.

Needs DATABASE_URL (a superuser URL; `make test` provides one), `openssl` and `curl`."""
from __future__ import annotations

import hashlib
import os
import shutil
import signal
import socket
import ssl
import subprocess
import time
import warnings

import grpc
import pytest

import wire_support
from cluster_support import ADMIN_PASSWORD, ADMIN_PHONE, Cluster, eventually
from tls_support import CLIENT_EXT, SERVER_EXT, file_fingerprint, issue, make_ca, require_tools

T = 20
H2_PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" + b"\x00\x00\x00\x04\x00\x00\x00\x00\x00"  # magic + empty SETTINGS


@pytest.fixture(scope="module")
def certificates(tmp_path_factory):
    """ca (issues the gateway's certificates: server, then renewed), partner-ca (issues partners'
    client certificates: partner), stranger-ca (issues stranger, a client nobody trusts)."""
    require_tools("openssl", "curl")
    folder = tmp_path_factory.mktemp("tls-edge")
    for name in ("ca", "partner-ca", "stranger-ca"):
        make_ca(folder, name)
    issue(folder, "server", "/CN=localhost/O=XSC first", "ca", SERVER_EXT)
    issue(folder, "renewed", "/CN=localhost/O=XSC renewed", "ca", SERVER_EXT)
    issue(folder, "partner", "/CN=partner-17/O=Example Partner Ltd", "partner-ca", CLIENT_EXT)
    issue(folder, "stranger", "/CN=partner-17/O=Example Partner Ltd", "stranger-ca", CLIENT_EXT)
    # What the gateways read (replaced in place by the reload tests; hup.* by the SIGHUP one).
    for live in ("live", "hup"):
        shutil.copy(folder / "server.pem", folder / f"{live}.pem")
        shutil.copy(folder / "server.key", folder / f"{live}.key")
    return folder


class Gateway:
    def __init__(self, name: str, port: int, h2c_port: int, process: wire_support.ServerProcess):
        self.name, self.port, self.h2c_port, self.process = name, port, h2c_port, process

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"


@pytest.fixture(scope="module")
def gateways(tmp_path_factory, certificates):
    """{"optional": Gateway, "required": Gateway, "hangup": Gateway}, all on the cluster's database.
    "hangup" has optional client certificates, files of its own (hup.pem/hup.key), a file check
    interval of an hour (within a test only SIGHUP reloads it) and no plain HTTP/1.1 port."""
    with Cluster.started(tmp_path_factory.mktemp("tls-cluster"), services=("gateway",)) as cluster:
        base = dict(cluster.specs["gateway"].env)
        cluster.stop_service("gateway")  # its database and secrets stay; the TLS gateways take over
        running: dict[str, Gateway] = {}
        try:
            for name, mode, files, check_ms in (("optional", "optional", "live", "200"), ("required", "required", "live", "200"),
                                                ("hangup", "optional", "hup", "3600000")):
                ports = set()
                while len(ports) < 4:
                    ports.add(wire_support.free_port())
                h2c, admin, port, http = sorted(ports)
                # Each gateway its own ports, the partner HTTP/1.1 listener's included.
                env = {**base, "XSC_LISTEN": f"127.0.0.1:{h2c}", "XSC_ADMIN_LISTEN": f"127.0.0.1:{admin}",
                       # "hangup" without the plain HTTP/1.1 port: HTTP/1.1 over TLS only.
                       "XSC_HTTP_LISTEN": "off" if name == "hangup" else f"127.0.0.1:{http}",
                       "XSC_TLS_LISTEN": f"127.0.0.1:{port}", "LOG_LEVEL": "info",
                       "XSC_TLS_CERT_FILE": str(certificates / f"{files}.pem"),
                       "XSC_TLS_KEY_FILE": str(certificates / f"{files}.key"),
                       "XSC_TLS_CLIENT_CA_FILE": str(certificates / "partner-ca.pem"),
                       "XSC_TLS_CLIENT_CERTS": mode,
                       "XSC_TLS_RELOAD_CHECK_MS": check_ms}
                process = wire_support.ServerProcess(f"xsc-gateway-tls-{name}", [str(wire_support.binary("xsc-gateway"))],
                                                     h2c, env=env).start()
                eventually("the TLS listener accepts", lambda: port_open(port))
                running[name] = Gateway(name, port, h2c, process)
            yield cluster, running
        finally:
            for gateway in running.values():
                gateway.process.stop()


def port_open(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    except OSError:
        return False


def credentials(folder, client: str | None = None) -> grpc.ChannelCredentials:
    key = (folder / f"{client}.key").read_bytes() if client else None
    chain = (folder / f"{client}.pem").read_bytes() if client else None
    return grpc.ssl_channel_credentials(root_certificates=(folder / "ca.pem").read_bytes(),
                                        private_key=key, certificate_chain=chain)


def secure_channel(gateway: Gateway, folder, client: str | None = None) -> grpc.Channel:
    return grpc.secure_channel(gateway.address, credentials(folder, client),
                               options=[("grpc.ssl_target_name_override", "localhost")])


def health(cluster: Cluster, channel: grpc.Channel) -> int:
    stub = cluster.stubs.health_grpc.HealthStub(channel)
    return stub.Check(cluster.stubs.health.HealthCheckRequest(service=""), timeout=T).status


def tls_client(folder, *, alpn=("h2",), client: str | None = None, minimum=None, maximum=None) -> ssl.SSLContext:
    context = ssl.create_default_context(cafile=str(folder / "ca.pem"))
    if alpn:
        context.set_alpn_protocols(list(alpn))
    if client:
        context.load_cert_chain(str(folder / f"{client}.pem"), str(folder / f"{client}.key"))
    if minimum:
        context.minimum_version = minimum
    if maximum:
        context.maximum_version = maximum
    return context


def connect(gateway: Gateway, context: ssl.SSLContext) -> ssl.SSLSocket:
    raw = socket.create_connection(("127.0.0.1", gateway.port), timeout=T)
    try:
        return context.wrap_socket(raw, server_hostname="localhost")
    except BaseException:
        raw.close()
        raise


def fingerprint(connection: ssl.SSLSocket) -> str:
    return hashlib.sha256(connection.getpeercert(binary_form=True)).hexdigest()


def speaks_h2(connection: ssl.SSLSocket) -> bool:
    """Sends the HTTP/2 preface; true when the server answers with its SETTINGS frame."""
    connection.sendall(H2_PREFACE)
    head = b""
    while len(head) < 9:
        chunk = connection.recv(9 - len(head))
        if not chunk:
            return False
        head += chunk
    return head[3] == 0x04  # frame type SETTINGS


# -- grpcio and curl over TLS ----------------------------------------------------------------------

def test_a_stock_grpcio_client_calls_through_tls(gateways, certificates):
    cluster, running = gateways
    channel = secure_channel(running["optional"], certificates)
    try:
        assert health(cluster, channel) == cluster.stubs.health.HealthCheckResponse.SERVING
        auth = cluster.stubs.gateway_grpc.AuthServiceStub(channel)
        session = auth.Login(cluster.stubs.gateway.LoginRequest(phone=ADMIN_PHONE, password=ADMIN_PASSWORD), timeout=T)
        assert session.session_token, "a login through TLS returns a session token"
    finally:
        channel.close()


def test_h2c_stays_on_the_inside_port_and_is_not_served_on_the_tls_port(gateways, certificates):
    cluster, running = gateways
    channel = grpc.insecure_channel(running["optional"].address)
    try:
        with pytest.raises(grpc.RpcError) as refused:
            health(cluster, channel)
        assert refused.value.code() == grpc.StatusCode.UNAVAILABLE
    finally:
        channel.close()
    # XSC_LISTEN keeps h2c: health probes and callers inside the deployment.
    inside = grpc.insecure_channel(f"127.0.0.1:{running['required'].h2c_port}")
    try:
        assert health(cluster, inside) == cluster.stubs.health.HealthCheckResponse.SERVING
    finally:
        inside.close()


def test_a_client_that_never_finishes_the_handshake_is_closed(gateways, certificates):
    """Half a ClientHello, then silence: the server closes the connection once the handshake
    time (RPCServer.handshakeTimeout, 10 s) has passed, as for a slow h2c preface."""
    _, running = gateways
    with socket.create_connection(("127.0.0.1", running["optional"].port), timeout=60) as raw:
        raw.sendall(bytes([0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xFC, 0x03, 0x03]))  # a record that needs 512 bytes
        began = time.monotonic()
        assert raw.recv(1) == b"", "the server closed the connection"
    print(f"\nan unfinished TLS handshake was closed after {time.monotonic() - began:.1f} s")


def test_curl_http2_over_tls(gateways, certificates):
    _, running = gateways
    gateway = running["optional"]
    body = certificates / "health-request.bin"
    body.write_bytes(b"\x00\x00\x00\x00\x00")  # one gRPC message: an empty HealthCheckRequest
    done = subprocess.run(
        ["curl", "--silent", "--show-error", "--http2", "--cacert", str(certificates / "ca.pem"),
         "--resolve", f"localhost:{gateway.port}:127.0.0.1", "--max-time", str(T),
         "-H", "content-type: application/grpc", "-H", "te: trailers", "--data-binary", f"@{body}",
         "--output", str(certificates / "health-answer.bin"), "--write-out", "%{http_version} %{http_code}",
         "--verbose", f"https://localhost:{gateway.port}/grpc.health.v1.Health/Check"],
        capture_output=True, text=True, timeout=T + 10)
    assert done.returncode == 0, done.stderr
    assert done.stdout == "2 200", done.stdout
    assert "ALPN: server accepted h2" in done.stderr, done.stderr
    assert "grpc-status: 0" in done.stderr, done.stderr
    # length-prefixed HealthCheckResponse{status: SERVING (1)}
    assert (certificates / "health-answer.bin").read_bytes() == b"\x00\x00\x00\x00\x02\x08\x01"


def test_http11_over_tls_is_served_with_the_plain_port_off(gateways, certificates):
    """XSC_HTTP_LISTEN=off closes the plaintext HTTP/1.1 port only: the TLS port still answers
    HTTP/1.1 (the listener runs without a port of its own)."""
    _, running = gateways
    gateway = running["hangup"]
    with connect(gateway, tls_client(certificates, alpn=("http/1.1",))) as connection:
        assert connection.selected_alpn_protocol() == "http/1.1"
        connection.sendall(b"GET /openapi.json HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        answer = b""
        while chunk := connection.recv(65536):
            answer += chunk
    assert answer.startswith(b"HTTP/1.1 200 OK\r\n") and b'"openapi"' in answer


# -- versions and ALPN -----------------------------------------------------------------------------

def test_alpn_chooses_h2(gateways, certificates):
    _, running = gateways
    with connect(running["optional"], tls_client(certificates, alpn=("h2", "http/1.1"))) as connection:
        assert connection.selected_alpn_protocol() == "h2"
        assert speaks_h2(connection)


def test_tls_12_and_13_are_accepted_and_11_is_refused(gateways, certificates):
    _, running = gateways
    gateway = running["optional"]
    for version, name in ((ssl.TLSVersion.TLSv1_3, "TLSv1.3"), (ssl.TLSVersion.TLSv1_2, "TLSv1.2")):
        with connect(gateway, tls_client(certificates, maximum=version)) as connection:
            assert connection.version() == name
            assert speaks_h2(connection)
    # A client that would go down to TLS 1.1 (its own library's floor lowered) is still refused.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # deliberately old
        old = tls_client(certificates, minimum=ssl.TLSVersion.TLSv1_1, maximum=ssl.TLSVersion.TLSv1_1)
    old.set_ciphers("DEFAULT:@SECLEVEL=0")
    with pytest.raises(ssl.SSLError) as refused:
        connect(gateway, old).close()
    assert "VERSION" in str(refused.value).upper(), refused.value


# -- client certificates ---------------------------------------------------------------------------

def test_required_client_certificates_admit_partners_only(gateways, certificates):
    cluster, running = gateways
    gateway = running["required"]
    channel = secure_channel(gateway, certificates, client="partner")
    try:
        assert health(cluster, channel) == cluster.stubs.health.HealthCheckResponse.SERVING
    finally:
        channel.close()
    for client in (None, "stranger"):
        channel = secure_channel(gateway, certificates, client=client)
        try:
            with pytest.raises(grpc.RpcError) as refused:
                health(cluster, channel)
            assert refused.value.code() == grpc.StatusCode.UNAVAILABLE, client
        finally:
            channel.close()
        # The handshake itself fails (TLS 1.3 reports it on the first read).
        with pytest.raises((ssl.SSLError, ConnectionError)):
            with connect(gateway, tls_client(certificates, client=client)) as connection:
                speaks_h2(connection)
                connection.recv(1)


def test_optional_client_certificates_verify_a_shown_one(gateways, certificates):
    cluster, running = gateways
    gateway = running["optional"]
    channel = secure_channel(gateway, certificates, client="partner")
    try:
        assert health(cluster, channel) == cluster.stubs.health.HealthCheckResponse.SERVING
    finally:
        channel.close()
    with pytest.raises((ssl.SSLError, ConnectionError)):
        with connect(gateway, tls_client(certificates, client="stranger")) as connection:
            speaks_h2(connection)
            connection.recv(1)


# -- reload ----------------------------------------------------------------------------------------

def replace(folder, source: str, live: str = "live") -> None:
    """Replaces live.pem/live.key as a deployment does: new files renamed over the old ones."""
    for suffix in ("pem", "key"):
        shutil.copy(folder / f"{source}.{suffix}", folder / f"next.{suffix}")
    os.replace(folder / "next.key", folder / f"{live}.key")
    os.replace(folder / "next.pem", folder / f"{live}.pem")


def test_a_renewed_certificate_is_used_by_new_connections_while_old_ones_continue(gateways, certificates):
    cluster, running = gateways
    gateway = running["optional"]
    first, renewed = file_fingerprint(certificates, "server"), file_fingerprint(certificates, "renewed")
    old_connection = connect(gateway, tls_client(certificates))
    channel = secure_channel(gateway, certificates)
    try:
        assert fingerprint(old_connection) == first
        stub = cluster.stubs.health_grpc.HealthStub(channel)
        watch = stub.Watch(cluster.stubs.health.HealthCheckRequest(service=""), timeout=120)
        assert next(watch).status == cluster.stubs.health.HealthCheckResponse.SERVING

        replace(certificates, "renewed")

        def new_connections_see_the_renewed_certificate():
            with connect(gateway, tls_client(certificates)) as connection:
                return fingerprint(connection) == renewed and speaks_h2(connection)
        eventually("a new connection gets the renewed certificate", new_connections_see_the_renewed_certificate)
        # Opened before: the raw connection still speaks HTTP/2 under the first certificate, and
        # the watch stream and its channel's connection are still there.
        assert speaks_h2(old_connection)
        assert watch.running(), "the Health/Watch stream opened before the reload is still open"
        assert health(cluster, channel) == cluster.stubs.health.HealthCheckResponse.SERVING
        watch.cancel()

        # Files that do not load (a key that belongs to another certificate) change nothing.
        shutil.copy(certificates / "server.pem", certificates / "next.pem")
        os.replace(certificates / "next.pem", certificates / "live.pem")  # renewed.key stays: a mismatch
        def reload_failed():
            connect(gateway, tls_client(certificates)).close()  # the files are looked at when one arrives
            return "TLS certificate reload failed" in gateway.process.output()
        eventually("the failed reload is logged", reload_failed)
        with connect(gateway, tls_client(certificates)) as connection:
            assert fingerprint(connection) == renewed, "the last good certificate stays"
        fresh = secure_channel(gateway, certificates)
        try:
            assert health(cluster, fresh) == cluster.stubs.health.HealthCheckResponse.SERVING
        finally:
            fresh.close()
        assert gateway.process.is_running()
    finally:
        old_connection.close()
        channel.close()
        replace(certificates, "server")


def test_sighup_reloads_the_certificate_and_old_connections_continue(gateways, certificates):
    """SIGHUP reloads at once (the "hangup" gateway checks its files only hourly): new connections
    get the new certificate and the log names its subject and expiry, a connection and a
    Health/Watch stream opened before go on; a broken file on the next SIGHUP keeps the last good
    certificate and the log says why; SIGHUPs never end the process."""
    cluster, running = gateways
    gateway = running["hangup"]
    first, renewed = file_fingerprint(certificates, "server"), file_fingerprint(certificates, "renewed")
    old_connection = connect(gateway, tls_client(certificates))
    channel = secure_channel(gateway, certificates)
    try:
        assert fingerprint(old_connection) == first
        stub = cluster.stubs.health_grpc.HealthStub(channel)
        watch = stub.Watch(cluster.stubs.health.HealthCheckRequest(service=""), timeout=120)
        assert next(watch).status == cluster.stubs.health.HealthCheckResponse.SERVING

        replace(certificates, "renewed", live="hup")
        with connect(gateway, tls_client(certificates)) as connection:
            assert fingerprint(connection) == first, "without the signal (and within the hour) nothing is reloaded"
        logged_before = gateway.process.output().count("TLS certificate reloaded")
        gateway.process.proc.send_signal(signal.SIGHUP)

        def new_connections_see_the_renewed_certificate():
            with connect(gateway, tls_client(certificates)) as connection:
                return fingerprint(connection) == renewed and speaks_h2(connection)
        eventually("a new connection gets the renewed certificate", new_connections_see_the_renewed_certificate)
        reloaded = [line for line in gateway.process.output().splitlines() if "TLS certificate reloaded" in line]
        assert len(reloaded) == logged_before + 1
        assert "XSC renewed" in reloaded[-1] and "not_after" in reloaded[-1], reloaded[-1]
        assert "SIGHUP received: reloading" in gateway.process.output()
        # Opened before: still there, under the first certificate.
        assert speaks_h2(old_connection)
        assert watch.running(), "the Health/Watch stream opened before the reload is still open"
        assert health(cluster, channel) == cluster.stubs.health.HealthCheckResponse.SERVING
        watch.cancel()

        # A certificate whose key is not there (renewed.key stays): the next SIGHUP keeps the last good one.
        shutil.copy(certificates / "server.pem", certificates / "next.pem")
        os.replace(certificates / "next.pem", certificates / "hup.pem")
        gateway.process.proc.send_signal(signal.SIGHUP)
        failed = eventually("the failed reload is logged", lambda: [line for line in gateway.process.output().splitlines()
                                                                   if "TLS certificate reload failed" in line])
        assert "cannot use the private key" in failed[-1], failed[-1]
        with connect(gateway, tls_client(certificates)) as connection:
            assert fingerprint(connection) == renewed, "the last good certificate stays"

        # More SIGHUPs (files still broken), one after another and then a burst (pending ones
        # coalesce, as standard signals do): each handled, the process serving throughout.
        for _ in range(3):
            handled = gateway.process.output().count("SIGHUP received")
            gateway.process.proc.send_signal(signal.SIGHUP)
            eventually("the SIGHUP is handled", lambda: gateway.process.output().count("SIGHUP received") > handled)
        for _ in range(20):
            gateway.process.proc.send_signal(signal.SIGHUP)
        assert gateway.process.is_running()
        fresh = secure_channel(gateway, certificates)
        try:
            assert health(cluster, fresh) == cluster.stubs.health.HealthCheckResponse.SERVING
        finally:
            fresh.close()
    finally:
        old_connection.close()
        channel.close()
        replace(certificates, "server", live="hup")
