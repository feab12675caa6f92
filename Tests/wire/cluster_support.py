"""A whole XSC system for end-to-end wire tests: one fresh PostgreSQL database with each
service's own schema and role (`xsc db-bootstrap`), the real service processes wired to each
other (XSC_<PEER>_ADDR), stubs for every proto under proto/xsc, and helpers to log in through
the gateway, read a service's tables and the development SMS file.

Typical use (a module-scoped fixture):

    @pytest.fixture(scope="module")
    def cluster(tmp_path_factory):
        with Cluster.started(tmp_path_factory.mktemp("cluster")) as running:
            yield running

    def test_x(cluster):
        pb = cluster.stubs
        orders = pb.orders_grpc.OrderServiceStub(cluster.gateway_channel())
        orders.ListOrders(pb.orders.ListOrdersRequest(), metadata=cluster.admin())

A module that only calls the standard system (kills or restarts no process, sets no environment
of its own, needs no empty database) takes the session's `standard_cluster` fixture instead
(conftest.py, shared_systems.py).

Services not started (customers, proposals, settlements, campaigns by default) get a closed port as their
address, so calls and outbox deliveries to them fail with UNAVAILABLE instead of reaching a
stray process on the default ports.

Replicas: `Cluster.started(..., replicas={"orders": 2})` runs more processes of a service on the
same database (instances "orders", "orders-2", ...; the replicas of a service start together, so
their migrations race for the advisory lock as they would in a rollout). A service's address
variables name one instance per peer: instance i of a service is wired to instance i (modulo the
peer's count) of each peer, so gateway-2 forwards to orders-2 (the gateway takes one address per
backend; a load balancer in front of the gateways spreads the clients).
"""
from __future__ import annotations

import importlib
import json
import os
import re
import shutil
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import grpc
import pytest

import wire_support
from wire_support import run_xsc as xsc

ACTOR_SECRET = "cluster-wire-test-secret-0123456789abcdef"
ADMIN_PHONE = "13800000000"
ADMIN_PASSWORD = "admin-password-for-tests"
# The initial password `xsc seed-drill` gives the drill's members (its --member-password).
DRILL_PASSWORD = "drill-password-2026"
ALL_SERVICES = ("gateway", "orders", "customers", "proposals", "notifications", "settlements", "campaigns")
# A liveness bound for a loaded machine, never a performance assertion.
WAIT_S = 60.0


def eventually(what: str, probe, timeout_s: float = WAIT_S, interval_s: float = 0.1):
    """Polls `probe` until it returns something truthy, which is returned; fails after timeout_s."""
    give_up = time.monotonic() + timeout_s
    while True:
        value = probe()
        if value:
            return value
        if time.monotonic() > give_up:
            raise AssertionError(f"never happened within {timeout_s:.0f}s: {what}")
        time.sleep(interval_s)


def until_answered(invoke, *, retried_codes, give_up_after_s: float, pause_s: float, retried, lock):
    """What a careful client does with a call whose outcome is unknown (the server died under it,
    or is restarting): `invoke(attempt)` again - the same request, the same idempotency key -
    until it answers. Returns (attempt, answer). A status in `retried_codes` is counted in
    `retried` (a Counter, under `lock`) and tried again after `pause_s`; any other status, or
    one past `give_up_after_s`, is raised."""
    give_up = time.monotonic() + give_up_after_s
    attempt = 0
    while True:
        try:
            return attempt, invoke(attempt)
        except grpc.RpcError as error:
            if error.code() not in retried_codes or time.monotonic() > give_up:
                raise
            with lock:
                retried[error.code().name] += 1
            time.sleep(pause_s)
            attempt += 1


def psql(url: str, sql: str, *params: str) -> list[list[str]]:
    """Rows of a query as lists of text (psql -A -t, fields split on '|'). `params` are bound
    as psql variables :'p1', :'p2', ... so values are quoted by psql, not by the caller."""
    binary = shutil.which("psql") or "/usr/lib/postgresql/15/bin/psql"
    args = [binary, "-X", "-A", "-t", "-q", "-v", "ON_ERROR_STOP=1", "-d", url]
    for index, value in enumerate(params, start=1):
        args += ["-v", f"p{index}={value}"]
    result = subprocess.run(args, input=sql, capture_output=True, text=True, timeout=60)
    if result.returncode != 0:
        raise AssertionError(f"psql failed: {result.stderr.strip()}\nSQL: {sql}")
    return [line.split("|") for line in result.stdout.splitlines() if line]


class Stubs:
    """Python modules generated (grpc_tools.protoc) from every proto under proto/xsc, plus
    google.rpc status/details and grpc.health.v1. Attributes: `<package>` for messages and
    `<package>_grpc` for stubs (gateway, orders, notifications, common, ...), `status`,
    `details`, `health`, `health_grpc`."""

    def __init__(self, out: Path):
        from grpc_tools import protoc
        import grpc_tools

        src = wire_support.proto_dir()
        xsc_files = sorted(str(p.relative_to(src)) for p in (src / "xsc").rglob("*.proto")
                           if "codectest" not in p.parts)
        files = [*xsc_files, "google/rpc/status.proto", "google/rpc/error_details.proto",
                 "grpc/health/v1/health.proto"]
        well_known = Path(grpc_tools.__file__).parent / "_proto"
        status = protoc.main(["grpc_tools.protoc", f"-I{src}", f"-I{well_known}", f"--python_out={out}",
                              f"--grpc_python_out={out}", *files])
        assert status == 0, f"protoc failed ({status})"
        sys.path.insert(0, str(out))
        # `google` and `grpc` are installed packages: let them find the generated subpackages too.
        for package_name in ("google", "grpc"):
            package = importlib.import_module(package_name)
            extra = str(out / package_name)
            if extra not in list(package.__path__):
                package.__path__.append(extra)
        self.dir = out
        for name in xsc_files:
            module = name[:-len(".proto")].replace("/", ".")
            package, stem = name.split("/")[1], Path(name).stem
            # xsc/orders/v1/orders.proto -> .orders; xsc/orders/v1/events.proto -> .orders_events
            attribute = package if stem == package else f"{package}_{stem}"
            setattr(self, attribute, importlib.import_module(module + "_pb2"))
            if re.search(r"^service ", (src / name).read_text(), re.MULTILINE):
                setattr(self, attribute + "_grpc", importlib.import_module(module + "_pb2_grpc"))
        self.status = importlib.import_module("google.rpc.status_pb2")
        self.details = importlib.import_module("google.rpc.error_details_pb2")
        self.health = importlib.import_module("grpc.health.v1.health_pb2")
        self.health_grpc = importlib.import_module("grpc.health.v1.health_pb2_grpc")

    def error_details(self, error: grpc.RpcError) -> list:
        """The google.rpc detail messages of an error's grpc-status-details-bin, unpacked."""
        raw = dict(error.trailing_metadata() or ()).get("grpc-status-details-bin")
        if raw is None:
            return []
        status = self.status.Status.FromString(raw)
        unpacked = []
        for any_detail in status.details:
            for kind in (self.details.BadRequest, self.details.ErrorInfo, self.details.RetryInfo,
                         self.details.PreconditionFailure, self.details.ResourceInfo):
                if any_detail.Is(kind.DESCRIPTOR):
                    detail = kind()
                    any_detail.Unpack(detail)
                    unpacked.append(detail)
        return unpacked


@dataclass
class ServiceProcessSpec:
    """How to (re)start one service on its fixed ports."""
    name: str
    port: int
    admin_port: int
    env: dict[str, str]
    service: str = ""  # the service an instance runs ("orders" for "orders-2"); name by default

    def __post_init__(self) -> None:
        self.service = self.service or self.name


class Cluster:
    """The running system; see the module doc. Build it with `Cluster.started(...)`."""

    def __init__(self, work_dir: Path, services: tuple[str, ...], env: dict[str, dict[str, str]],
                 replicas: dict[str, int] | None = None):
        self.work_dir = work_dir
        self.services = services
        self.extra_env = env
        self.replicas = {name: max(1, (replicas or {}).get(name, 1)) for name in ALL_SERVICES}
        self.database_urls: dict[str, str] = {}
        self.specs: dict[str, ServiceProcessSpec] = {}
        self.processes: dict[str, wire_support.ServerProcess] = {}
        self.sms_file = work_dir / "sms-outbox.jsonl"
        self._channels: list[grpc.Channel] = []
        self._gateway_channel: grpc.Channel | None = None
        self._sessions: dict[str, list[tuple[str, str]]] = {}
        self._seed_output: str | None = None
        # Gateway instance -> its partner HTTP/1.1 port (XSC_HTTP_LISTEN).
        self.http_ports: dict[str, int] = {}
        self.stubs = load_stubs(work_dir / "stubs")

    @classmethod
    def started(cls, work_dir: Path, services: tuple[str, ...] = ("gateway", "orders", "notifications"),
                env: dict[str, dict[str, str]] | None = None, superuser_url: str | None = None,
                replicas: dict[str, int] | None = None) -> "Cluster":
        """A fresh database and the given services running. `env` adds or overrides variables per
        service name (e.g. {"orders": {"LOG_LEVEL": "debug"}}); `superuser_url` picks another
        PostgreSQL server than DATABASE_URL's (a test that crashes its server); `replicas` runs
        more than one process of a service (module doc)."""
        superuser = superuser_url or os.environ.get("DATABASE_URL")
        if not superuser:
            pytest.skip("needs DATABASE_URL (a superuser URL; `make test` provides one)")
        cluster = cls(work_dir, services, env or {}, replicas)
        cluster._create_database(superuser)
        cluster._plan_processes()
        try:
            # Backends first, so the gateway's health probe finds them serving.
            for name in sorted(services, key=lambda s: s == "gateway"):
                cluster._start_replicas(name)
        except BaseException:
            cluster.close()
            raise
        return cluster

    def __enter__(self) -> "Cluster":
        return self

    def __exit__(self, *_exc) -> None:
        self.close()

    # -- processes -------------------------------------------------------------------------

    def _create_database(self, superuser: str) -> None:
        name = "xsc_e2e_" + uuid.uuid4().hex[:12]
        # FILE_COPY: PostgreSQL 15's default (WAL_LOG) writes the template through the WAL, several
        # times slower per database here (Tests/TestSupport/TestCluster.swift makeDatabase).
        psql(superuser, f"CREATE DATABASE {name} STRATEGY FILE_COPY")
        database = urlunsplit(urlsplit(superuser)._replace(path="/" + name))
        secrets = self.work_dir / "secrets"
        boot = xsc("db-bootstrap", "--secrets-dir", str(secrets), *self.services, env={"DATABASE_URL": database})
        assert boot.returncode == 0, boot.stderr
        for service in self.services:
            self.database_urls[service] = (secrets / f"{service}.database-url").read_text().strip()

    def instances(self, service: str) -> list[str]:
        """The instance names of a service: "orders", then "orders-2", ... (one without replicas)."""
        return [service] + [f"{service}-{index}" for index in range(2, self.replicas[service] + 1)]

    def _start_replicas(self, service: str) -> None:
        names = self.instances(service)
        if len(names) == 1:
            self.start_service(service)
            return
        # Together, as a rollout starts them: their migrations meet at the advisory lock.
        from concurrent.futures import ThreadPoolExecutor
        with ThreadPoolExecutor(len(names)) as pool:
            for future in [pool.submit(self.start_service, name) for name in names]:
                future.result()

    def _plan_processes(self) -> None:
        taken: set[int] = set()

        def distinct_port() -> int:
            # free_port can hand out the same port twice; every listener here needs its own.
            while (port := wire_support.free_port()) in taken:
                pass
            taken.add(port)
            return port
        ports = {name: [distinct_port() for _ in self.instances(name)] for name in ALL_SERVICES}
        for name in self.services:
            for index, instance in enumerate(self.instances(name)):
                peers = {f"XSC_{peer.upper()}_ADDR": f"127.0.0.1:{peer_ports[index % len(peer_ports)]}"
                         for peer, peer_ports in ports.items()}
                admin_port = distinct_port()
                env = {
                    "DATABASE_URL": self.database_urls[name],
                    "XSC_LISTEN": f"127.0.0.1:{ports[name][index]}",
                    "XSC_ADMIN_LISTEN": f"127.0.0.1:{admin_port}",
                    "XSC_ACTOR_SECRET": ACTOR_SECRET,
                    "XSC_MIGRATIONS_DIR": str(wire_support.REPO_ROOT / "services" / name / "migrations"),
                    "LOG_LEVEL": "warning",
                    **peers,
                }
                if name == "gateway":
                    # The partner HTTP/1.1 listener (HTTP/2 JSON shares XSC_LISTEN): a port of its own
                    # per gateway, so clusters side by side never meet on the default 7180.
                    self.http_ports[instance] = distinct_port()
                    env["XSC_HTTP_LISTEN"] = f"127.0.0.1:{self.http_ports[instance]}"
                    env.update({"XSC_ADMIN_PHONE": ADMIN_PHONE, "XSC_ADMIN_PASSWORD": ADMIN_PASSWORD,
                                # Fast password hashing and no credential cache: tests log in a lot
                                # and check revocation at once.
                                "XSC_SCRYPT_LOG2N": "10", "XSC_AUTH_CACHE_MS": "0",
                                "XSC_RATE_BURST": "100000", "XSC_RATE_PER_SECOND": "100000"})
                if name == "notifications":
                    env.update({"XSC_SMS_PROVIDER": "dev", "XSC_SMS_DEV_FILE": str(self.sms_file_of(instance))})
                env.update(self.extra_env.get(name, {}))
                self.specs[instance] = ServiceProcessSpec(instance, ports[name][index], admin_port, env, service=name)

    def start_service(self, name: str) -> wire_support.ServerProcess:
        """Starts (or restarts, on the same ports) one service and waits until it accepts."""
        spec = self.specs[name]
        process = wire_support.ServerProcess(f"xsc-{name}", [str(wire_support.binary(f"xsc-{spec.service}"))],
                                             spec.port, env=spec.env).start()
        self.processes[name] = process
        self._wait_serving(name)
        return process

    def stop_service(self, name: str) -> None:
        """Stops one service (SIGTERM, graceful); its database and ports stay."""
        process = self.processes.pop(name, None)
        if process is not None:
            process.stop()

    def kill_service(self, name: str) -> None:
        """Crashes one service: SIGKILL, so nothing is flushed, drained or released (its claimed
        outbox rows and SMS sends stay leased until XSC_CLAIM_LEASE_MS passes)."""
        process = self.processes.pop(name, None)
        if process is not None and process.proc is not None:
            process.proc.kill()
            process.proc.wait()
            process.stop()  # closes the log and forgets the pid file

    def _wait_serving(self, name: str) -> None:
        channel = grpc.insecure_channel(self.address(name))
        try:
            stub = self.stubs.health_grpc.HealthStub(channel)

            def serving():
                try:
                    answer = stub.Check(self.stubs.health.HealthCheckRequest(service=""), timeout=2)
                    return answer.status == self.stubs.health.HealthCheckResponse.SERVING
                except grpc.RpcError:
                    return False
            eventually(f"xsc-{name} reports SERVING", serving)
        finally:
            channel.close()

    def http_url(self, instance: str = "gateway") -> str:
        """The gateway's partner HTTP/1.1 base URL (HTTP/2 JSON: http://{address("gateway")})."""
        return f"http://127.0.0.1:{self.http_ports[instance]}"

    def address(self, name: str) -> str:
        return f"127.0.0.1:{self.specs[name].port}"

    def output(self, name: str) -> str:
        process = self.processes.get(name)
        return process.output() if process else "<not running>"

    def assert_all_running(self) -> None:
        dead = [name for name, process in self.processes.items() if not process.is_running()]
        assert not dead, "died: " + ", ".join(f"{name}\n{self.output(name)}" for name in dead)

    def close(self) -> None:
        for channel in self._channels:
            channel.close()
        self._channels.clear()
        for name in list(self.processes):
            self.stop_service(name)

    # -- calls -----------------------------------------------------------------------------

    def gateway_channel(self) -> grpc.Channel:
        """One shared channel to the gateway (the system's front door)."""
        if self._gateway_channel is None:
            self._gateway_channel = self.channel("gateway")
        return self._gateway_channel

    def channel(self, name: str) -> grpc.Channel:
        """A new channel straight to a service (closed with the cluster)."""
        channel = grpc.insecure_channel(self.address(name))
        self._channels.append(channel)
        return channel

    def login(self, phone: str, password: str) -> list[tuple[str, str]]:
        """Call metadata of a fresh staff session (AuthService/Login through the gateway)."""
        auth = self.stubs.gateway_grpc.AuthServiceStub(self.gateway_channel())
        answer = auth.Login(self.stubs.gateway.LoginRequest(phone=phone, password=password), timeout=30)
        return [("authorization", "Bearer " + answer.session_token)]

    def session(self, phone: str, password: str = DRILL_PASSWORD) -> list[tuple[str, str]]:
        """Like login, but one session per phone for the cluster's lifetime."""
        if phone not in self._sessions:
            self._sessions[phone] = self.login(phone, password)
        return self._sessions[phone]

    def admin(self) -> list[tuple[str, str]]:
        """The first-run hq_admin's session."""
        return self.session(ADMIN_PHONE, ADMIN_PASSWORD)

    def create_partner_key(self, partner_id: str, channel: str) -> list[tuple[str, str]]:
        """A new API key of a partner (as hq_admin); its call metadata."""
        keys = self.stubs.gateway_grpc.PartnerKeyServiceStub(self.gateway_channel())
        made = keys.CreateKey(self.stubs.gateway.CreateKeyRequest(partner_id=partner_id, channel=channel),
                              metadata=self.admin(), timeout=30)
        return [("authorization", "Bearer " + made.secret)]

    def account_ids(self) -> dict[str, str]:
        """phone -> account id of every account (ListAccounts as hq_admin)."""
        accounts = self.stubs.gateway_grpc.AccountServiceStub(self.gateway_channel())
        found: dict[str, str] = {}
        cursor = ""
        while True:
            request = self.stubs.gateway.ListAccountsRequest(
                page=self.stubs.common.PageRequest(cursor=cursor, page_size=100))
            page = accounts.ListAccounts(request, metadata=self.admin(), timeout=30)
            found.update({account.phone: account.id for account in page.accounts})
            cursor = page.page_info.next_cursor
            if not cursor:
                return found

    def seed_drill_once(self) -> str:
        """`seed_drill()` the first time; later calls return that first output again (a shared
        system is seeded once, and only the first seeding shows the keys it made)."""
        if self._seed_output is None:
            self._seed_output = self.seed_drill()
        return self._seed_output

    @staticmethod
    def shown_key(seed_output: str, label: str = "partner key", owner: str = "drill-mall") -> str:
        """The secret of the key `xsc seed-drill` printed once for `owner` ("partner key for
        drill-mall (channel mall), shown once: xsc_pk_...")."""
        found = re.search(rf"^{re.escape(label)} for {re.escape(owner)} \(channel \w+\), shown once: (xsc_pk_\w+)$",
                          seed_output, re.MULTILINE)
        assert found, f"no {label} for {owner} in the seed output"
        return found.group(1)

    def drill_partner_key(self) -> str:
        """The drill-mall partner key of this (shared, seeded-once) system."""
        return self.shown_key(self.seed_drill_once())

    def seed_drill(self) -> str:
        """Runs `xsc seed-drill` against the gateway; returns its output (keys are shown once in it)."""
        result = xsc("seed-drill", "--gateway", self.address("gateway"), "--member-password", DRILL_PASSWORD,
                     env={"XSC_ADMIN_PHONE": ADMIN_PHONE, "XSC_ADMIN_PASSWORD": ADMIN_PASSWORD})
        assert result.returncode == 0, result.stdout + result.stderr
        return result.stdout

    @staticmethod
    def secrets_in(seed_output: str) -> list[str]:
        """Every API key secret printed in a seed-drill output, in order."""
        return re.findall(r"\b(xsc_[a-z]+_[A-Za-z0-9_\-]+)", seed_output)

    # -- state -----------------------------------------------------------------------------

    def query(self, service: str, sql: str, *params: str) -> list[list[str]]:
        """Rows of a query in one service's database, as that service's own role."""
        return psql(self.database_urls[service], sql, *params)

    def sms_file_of(self, instance: str) -> Path:
        """The development SMS file of a notifications instance: `sms_file` for the first, one of
        its own for each further replica (DevFileProvider appends by seeking to the end, which
        two processes sharing one file would race on)."""
        return self.sms_file if instance == "notifications" else self.sms_file.with_name(f"sms-outbox.{instance}.jsonl")

    def sms_lines(self) -> list[dict]:
        """Every message the development SMS provider has written, oldest first (per file, the
        files of the notifications replicas one after another)."""
        lines = []
        for instance in self.instances("notifications"):
            path = self.sms_file_of(instance)
            if path.exists():
                lines += [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
        return lines


def load_stubs(out: Path) -> Stubs:
    """Stubs for this directory; modules generated once per test process are reused (Python
    caches imported modules by name, so a second generation would not be imported anyway)."""
    cached = _stub_cache.get("stubs")
    if cached is None:
        out.mkdir(parents=True, exist_ok=True)
        cached = Stubs(out)
        _stub_cache["stubs"] = cached
    return cached


_stub_cache: dict[str, Stubs] = {}
