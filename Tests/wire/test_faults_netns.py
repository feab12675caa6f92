"""A service cut off from PostgreSQL (issue 16's row): xsc-orders runs in a network namespace the
test makes, reached by the client over one veth pair and reaching its own PostgreSQL over
another; the database link is then taken down (packets silently dropped, no RST: a real cut),
and brought back.

Printed: the worst call's overrun past its deadline while cut off (calls carry grpc-timeout 1 s
and are sent over raw HTTP/2, so the figure is when the server answered, not when a client gave
up), the statuses seen, and the recovery time from the link coming back to the first answered
call. Asserted: every call during the cut ends with UNAVAILABLE or DEADLINE_EXCEEDED (never
hangs: each read is bounded by raw_h2.READ_TIMEOUT_S), and the service answers again.

Runs only as root with `ip netns` working; otherwise skipped with the reason. Only namespaces
and addresses of its own (10.231.<n>.0/30 on veth pairs it names) are touched, and removed
at the end."""
from __future__ import annotations

import base64
import os
import shutil
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

import raw_h2
import wire_support
from cluster_support import Cluster, psql
from test_abuse_actor import actor_bytes, sign

PG_SCRIPTS = wire_support.REPO_ROOT / "scripts" / "pg"
DEADLINE_S = 1.0
CUT_S = 3.0


def ip(*args: str, check: bool = True) -> subprocess.CompletedProcess:
    return subprocess.run(["ip", *args], capture_output=True, text=True, timeout=30, check=check)


def netns_unavailable() -> str | None:
    if os.geteuid() != 0:
        return "needs root (ip netns and veth)"
    if not shutil.which("ip"):
        return "no `ip` command (iproute2)"
    probe = f"xsc-probe-{os.getpid()}"
    made = ip("netns", "add", probe, check=False)
    if made.returncode != 0:
        return f"`ip netns add` fails here: {made.stderr.strip()}"
    ip("netns", "del", probe, check=False)
    return None


class Namespace:
    """A namespace with two veth pairs: `client` (10.231.N.1 host <-> .2 inside) and `db`
    (10.231.N+1.1 host <-> .2 inside)."""

    def __init__(self):
        tag = os.getpid() % 100_000
        self.name = f"xsc-cut-{tag}"
        octet = 100 + tag % 60 * 2
        self.client_host, self.client_inside = f"10.231.{octet}.1", f"10.231.{octet}.2"
        self.db_host, self.db_inside = f"10.231.{octet + 1}.1", f"10.231.{octet + 1}.2"
        self.client_link, self.db_link = f"xc{tag}a", f"xd{tag}a"
        ip("netns", "add", self.name)
        try:
            for link, host, inside in ((self.client_link, self.client_host, self.client_inside),
                                       (self.db_link, self.db_host, self.db_inside)):
                peer = link[:-1] + "b"
                ip("link", "add", link, "type", "veth", "peer", "name", peer)
                ip("link", "set", peer, "netns", self.name)
                ip("addr", "add", f"{host}/30", "dev", link)
                ip("link", "set", link, "up")
                ip("netns", "exec", self.name, "ip", "addr", "add", f"{inside}/30", "dev", peer)
                ip("netns", "exec", self.name, "ip", "link", "set", peer, "up")
            ip("netns", "exec", self.name, "ip", "link", "set", "lo", "up")
        except BaseException:
            self.remove()
            raise

    def cut_database(self, cut: bool) -> None:
        ip("link", "set", self.db_link, "down" if cut else "up")

    def remove(self) -> None:
        for link in (self.client_link, self.db_link):
            ip("link", "del", link, check=False)
        ip("netns", "del", self.name, check=False)


@pytest.fixture(scope="module")
def setup(tmp_path_factory):
    reason = netns_unavailable()
    if reason:
        pytest.skip(reason)
    if not os.environ.get("DATABASE_URL"):
        pytest.skip("needs DATABASE_URL (`make test` provides one and the PostgreSQL binaries)")
    started = subprocess.run([str(PG_SCRIPTS / "start-test-postgres.sh")], capture_output=True, text=True, timeout=120)
    assert started.returncode == 0, started.stderr
    values = dict(line.removeprefix("export ").split("=", 1) for line in started.stdout.splitlines()
                  if line.startswith("export "))
    values = {k: v.strip("'") for k, v in values.items()}
    namespace = Namespace()
    try:
        pg_dir, superuser = values["XSC_PG_DIR"], values["DATABASE_URL"]
        psql(superuser, f"ALTER SYSTEM SET listen_addresses = '127.0.0.1,{namespace.db_host}'")
        with open(f"{pg_dir}/data/pg_hba.conf", "a") as hba:
            hba.write(f"host all all {namespace.db_inside}/32 scram-sha-256\n")
        restarted = subprocess.run([str(PG_SCRIPTS / "ctl-test-postgres.sh"), pg_dir, "restart"],
                                   capture_output=True, text=True, timeout=60)
        assert restarted.returncode == 0, restarted.stderr
        with Cluster.started(tmp_path_factory.mktemp("netns"), services=("orders",), superuser_url=superuser) as cluster:
            cluster.stop_service("orders")
            env = dict(cluster.specs["orders"].env)
            assert "127.0.0.1" in env["DATABASE_URL"]
            env["DATABASE_URL"] = env["DATABASE_URL"].replace("127.0.0.1", namespace.db_host)
            port = cluster.specs["orders"].port
            env["XSC_LISTEN"] = f"0.0.0.0:{port}"
            env["XSC_ADMIN_LISTEN"] = f"127.0.0.1:{cluster.specs['orders'].admin_port}"
            log = open(tmp_path_factory.mktemp("netns-log") / "xsc-orders-netns.log", "w")
            # `ip netns exec` execs the service in the namespace: the pid is the service's own.
            process = subprocess.Popen(["ip", "netns", "exec", namespace.name, str(wire_support.binary("xsc-orders"))],
                                       env=env, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                       cwd=wire_support.REPO_ROOT)
            try:
                address = f"{namespace.client_inside}:{port}"
                wait_answering(address, cluster)
                yield namespace, address, cluster
            finally:
                process.terminate()
                try:
                    process.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()
                log.close()
    finally:
        namespace.remove()
        subprocess.run([str(PG_SCRIPTS / "stop-test-postgres.sh"), values["XSC_PG_DIR"]], capture_output=True, timeout=120)


def headers(conn, cluster) -> list[tuple[str, str]]:
    good = actor_bytes(cluster.stubs, expires_in_ms=3_000_000)
    b64 = lambda data: base64.b64encode(data).decode().rstrip("=")  # noqa: E731
    return conn.grpc_headers("/xsc.orders.v1.OrderService/GetOrder", extra=[
        ("grpc-timeout", f"{int(DEADLINE_S * 1000)}m"), ("x-xsc-actor-bin", b64(good)),
        ("x-xsc-actor-sig-bin", b64(sign(good, "orders")))])


def get_order(address: str, cluster) -> tuple[int | None, float]:
    """GetOrder of a missing id with a 1 s deadline, over raw HTTP/2: (grpc-status, seconds
    until the server answered)."""
    body = raw_h2.grpc_frame(b"\x0a\x24" + b"00000000-0000-0000-0000-000000000000")
    with raw_h2.RawGrpcConnection(address) as conn:
        started = time.monotonic()
        response = conn.request(headers(conn, cluster), body)
        return response.grpc_status, time.monotonic() - started


def wait_answering(address: str, cluster, limit_s: float = 60) -> float:
    started = time.monotonic()
    for _ in range(int(limit_s * 10)):
        try:
            status, _ = get_order(address, cluster)
            if status == 5:  # NOT_FOUND: the database answered
                return time.monotonic() - started
        except OSError:
            pass
        time.sleep(0.1)
    raise AssertionError(f"orders did not answer within {limit_s} s")


def test_a_service_cut_off_from_postgresql(setup):
    namespace, address, cluster = setup
    assert get_order(address, cluster)[0] == 5
    namespace.cut_database(True)
    cut_at = time.monotonic()
    outcomes = []
    try:
        with ThreadPoolExecutor(8) as pool:
            for _ in range(2):
                outcomes += list(pool.map(lambda _: get_order(address, cluster), range(8)))
        while time.monotonic() - cut_at < CUT_S:
            outcomes.append(get_order(address, cluster))
    finally:
        namespace.cut_database(False)
    restored_at = time.monotonic()
    recovery_s = wait_answering(address, cluster)
    overruns = [elapsed - DEADLINE_S for _, elapsed in outcomes]
    statuses = sorted({status for status, _ in outcomes}, key=str)
    print(f"\ncut off from PostgreSQL: {len(outcomes)} calls with a {DEADLINE_S:.0f} s deadline during a "
          f"{time.monotonic() - cut_at - recovery_s:.1f} s cut; statuses {statuses} (14 UNAVAILABLE, 4 DEADLINE_EXCEEDED); "
          f"worst overrun past the deadline {max(overruns) * 1000:.0f} ms; recovery {recovery_s * 1000:.0f} ms "
          f"from the link coming back to the first answered call")
    assert set(statuses) <= {14, 4}, outcomes
    assert restored_at > cut_at
