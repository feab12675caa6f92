"""The customers benchmark (issue 11; a measurement, not a test). Driven by bench/customers.sh,
which builds and starts a throwaway PostgreSQL. In one run, on one PostgreSQL with
1,000,000 customers loaded (bench/customers/load.sql, 200 teams):

  CreateCustomer    xsc-customers called directly (signed salesperson actors, grpc.aio clients
                    in several processes), every call a new customer: one pipeline of BEGIN, the
                    referral and near-duplicate check, insert, phone rows, COMMIT; beside pgbench
                    running the same statements (bench/customers/create.sql) with as many clients
                    as the service has pool connections.
  near-duplicates   pgbench running the near-duplicate lookup alone (near-duplicates.sql):
                    its latency percentiles (the issue's bound: p99 <= 10 ms).
  import            ImportCustomers of --import-rows rows on one stream, beside psql COPY of
                    the same number of rows into the same two tables (same indexes).

With --pin-postgres every round runs twice: as above (nothing pinned: on 2 cores the service's and
the client's CPU compete with PostgreSQL's), then with PostgreSQL pinned to --pg-cpu and the
service, its clients, pgbench and psql pinned to --client-cpu (the database as on its own host,
as bench/orders.sh measures); both ratios are printed.

Prints one table with each figure beside its baseline and the ratio; results/customers-STAMP.json
keeps everything."""
from __future__ import annotations

import argparse
import asyncio
import hashlib
import hmac
import json
import multiprocessing
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(REPO / "Tests" / "wire"))
sys.path.insert(0, str(HERE))
import wire_support  # noqa: E402
from orders import PRIORITY, Postgres, cpu_seconds, percentile, postgres_pids, run_pgbench, xsc  # noqa: E402

SECRET = "customers-bench-actor-secret-0123456789abcdef"


def scattered(serial: int) -> str:
    """Nine digits for a serial number: a bijection of 0..10^9-1 (3^18 is prime to 10^9), so
    serials never share a number, and neighbours lie far apart. With consecutive serials as
    phone digits, nearly every new phone would be a neighbour swap of an earlier one of the
    same run (...12 and ...21) and flag a near-duplicate, work pgbench's random numbers never
    meet; and no real list of customers looks like that."""
    return "%09d" % ((387_420_489 * serial + 123_456_789) % 1_000_000_000)


def import_digits(i: int, phones: str) -> str:
    return scattered(i) if phones == "scattered" else "%09d" % i


def stubs(out: Path):
    from cluster_support import load_stubs
    return load_stubs(out)


def actor_metadata(pb, account: str, team: str, role: str = "salesperson") -> list[tuple[str, bytes]]:
    """A signed actor as the gateway makes it (x-xsc-actor-bin + HMAC-SHA256 signature)."""
    context = pb.common.ActorContext(account_id=account, role=pb.common.ActorContext.ROLE_STAFF, team_path=team,
                                     request_id="bench", expires_at_ms=int(time.time() * 1000) + 3_600_000, domain_role=role)
    raw = context.SerializeToString()
    signature = hmac.new(SECRET.encode(), b"xsc-actor-v2\x00customers\x00" + raw, hashlib.sha256).digest()
    return [("x-xsc-actor-bin", raw), ("x-xsc-actor-sig-bin", signature)]


def create_worker(args: tuple) -> dict:
    """One client process: `concurrency` callers on one channel for warmup + duration seconds."""
    address, stubs_dir, worker, concurrency, warmup, duration, round_ = args
    import grpc

    # A folder per process: each process generates its stubs, and one process reading a module
    # the other is rewriting failed a run ("Depends on file ... has not been loaded").
    pb = stubs(Path(stubs_dir) / f"worker-{worker}-round-{round_}")

    async def run() -> dict:
        latencies: list[int] = []
        errors: dict[str, int] = {}
        counter = 0
        cpu_at_measure: list[float] = []
        start = time.monotonic()
        measure_from, stop_at = start + warmup, start + warmup + duration
        async with grpc.aio.insecure_channel(address) as channel:
            stub = pb.customers_grpc.CustomerServiceStub(channel)

            async def caller(index: int):
                nonlocal counter
                team = f"/hq/cq/cq-o1/cq-o1-d3/t{(worker * 37 + index) % 200}"
                metadata = actor_metadata(pb, f"bench-{worker}-{index}", team)
                while True:
                    now = time.monotonic()
                    if now >= measure_from and not cpu_at_measure:
                        cpu_at_measure.append(time.process_time())
                    if now >= stop_at:
                        return
                    counter += 1
                    number = round_ * 100_000_000 + worker * 10_000_000 + counter
                    request = pb.customers.CreateCustomerRequest(customer=pb.customers.CustomerInput(
                        name=f"压测{number}", phones=["16" + scattered(number)], address=f"压测路{number}号", district_id="cq-o1-d3",
                        kind=pb.customers.CUSTOMER_KIND_GIFT, grade=pb.customers.GRADE_B))
                    began = time.monotonic()
                    try:
                        await stub.CreateCustomer(request, metadata=metadata, timeout=30)
                        ok = True
                    except grpc.aio.AioRpcError as error:
                        ok = False
                        if began >= measure_from:
                            errors[str(error.code())] = errors.get(str(error.code()), 0) + 1
                    ended = time.monotonic()
                    if ok and began >= measure_from and ended <= stop_at:
                        latencies.append(int((ended - began) * 1e6))

            await asyncio.gather(*(caller(i) for i in range(concurrency)))
        client_cpu = time.process_time() - (cpu_at_measure[0] if cpu_at_measure else 0.0)
        return {"latencies": latencies, "errors": errors, "client_cpu_s": client_cpu}

    return asyncio.run(run())


def run_creates(address: str, stubs_dir: Path, processes: int, concurrency: int, warmup: float, duration: float, pg: Postgres,
                service_pid: int, perf: str = "", round_: int = 0) -> dict:
    with multiprocessing.get_context("spawn").Pool(processes) as pool:
        pending = pool.map_async(create_worker, [(address, str(stubs_dir), w, concurrency, warmup, duration, round_)
                                                 for w in range(processes)])
        time.sleep(warmup)
        recorders = (recording(perf, "create-service", [service_pid], duration)
                     + recording(perf, "create-postgres", postgres_pids(pg.postmaster), duration))
        before, service_before, began = pg.cpu(), cpu_seconds([service_pid]), time.monotonic()
        time.sleep(duration)
        share = (pg.cpu() - before) / (time.monotonic() - began)
        service_share = (cpu_seconds([service_pid]) - service_before) / (time.monotonic() - began)
        results = pending.get(timeout=warmup + duration + 120)
        for recorder in recorders:
            recorder.wait()
    latencies = sorted(value for result in results for value in result["latencies"])
    errors: dict[str, int] = {}
    for result in results:
        for code, count in result["errors"].items():
            errors[code] = errors.get(code, 0) + count
    return {"label": "CreateCustomer, xsc-customers", "calls_per_s": len(latencies) / duration, "calls": len(latencies),
            "p50_us": percentile(latencies, 0.5), "p90_us": percentile(latencies, 0.9), "p99_us": percentile(latencies, 0.99),
            "errors": errors, "pg_cpu_share": share, "service_cpu_share": service_share,
            "client_cpu_share": sum(r["client_cpu_s"] for r in results) / duration}


def xsc_load_phone_base(round_: int) -> int:
    """The first phone serial of xsc-load's run `round_` (the Python client's round number):
    round_ * 10^8 + 9 * 10^7, past the Python processes' serials of that round (round_ * 10^8 +
    worker * 10^7 + counter), so no run's phones meet another run's, the Python client's or (16...
    against 13...) the loaded customers'. Session 7's runs drew a random base out of 900 and at
    times repeated earlier rows' phones (thousands of ALREADY_EXISTS in one row)."""
    return round_ * 100_000_000 + 90_000_000


def run_creates_xsc_load(address: str, concurrency: int, warmup: float, duration: float, pg: Postgres, service_pid: int,
                         cpus: str, work: Path, round_: int = 0) -> dict:
    """The same CreateCustomer load from xsc-load (Swift, one process, two HTTP/2 connections):
    a client about as cheap per call as pgbench's own, where the Python client spends more CPU
    per call than the service on the same two cores (bench/customers/create-only.json, with this
    run's own phone range)."""
    scenario = json.loads((HERE / "customers" / "create-only.json").read_text())
    scenario["request"]["phone_base"] = xsc_load_phone_base(round_)
    scenario_path = work / f"create-only-{round_}.json"
    scenario_path.write_text(json.dumps(scenario, ensure_ascii=False))
    argv = ["taskset", "-c", cpus, str(wire_support.binary("xsc-load")), str(scenario_path), "--target", address,
            "--concurrency", str(concurrency), "--connections", "2", "--duration", str(duration), "--warmup", str(warmup),
            "--server-pid", str(service_pid), "--json"]
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "XSC_ACTOR_SECRET": SECRET})
    time.sleep(warmup + 0.5)
    window = max(0.5, duration - 1.0)
    before, service_before, client_before, began = pg.cpu(), cpu_seconds([service_pid]), cpu_seconds([proc.pid]), time.monotonic()
    time.sleep(window)
    elapsed = time.monotonic() - began
    pg_share = (pg.cpu() - before) / elapsed
    service_share = (cpu_seconds([service_pid]) - service_before) / elapsed
    client_share = (cpu_seconds([proc.pid]) - client_before) / elapsed
    stdout, stderr = proc.communicate(timeout=warmup + duration + 120)
    if proc.returncode != 0:
        raise RuntimeError(f"xsc-load failed:\n{stdout}\n{stderr}")
    report = json.loads(stdout.strip().splitlines()[-1])
    statuses = {code: count for code, count in report.get("statuses", {}).items() if code not in ("OK", "ok", "0")}
    return {"label": "CreateCustomer, xsc-customers (xsc-load client)", "calls_per_s": report["operations_per_s"],
            "calls": report["operations"], "p50_us": report["latency_us"]["p50"], "p90_us": report["latency_us"]["p90"],
            "p99_us": report["latency_us"]["p99"], "errors": statuses, "pg_cpu_share": pg_share, "service_cpu_share": service_share,
            "client_cpu_share": client_share}


def import_phases(log_path: str) -> dict:
    """The last "import finished" line of a service's log (--import-phases: LOG_LEVEL=info), as a dict."""
    found = {}
    for line in Path(log_path).read_text(errors="replace").splitlines():
        if '"import finished"' in line:
            try:
                found = json.loads(line)
            except ValueError:
                pass
    return {k: v for k, v in found.items() if k not in ("ts", "level", "service", "msg", "trace_id", "span_id")}


PHASES = ("read", "held", "prepare", "turn", "connection", "copy", "statements", "finish", "single")


def print_phases(results: list[dict]) -> None:
    """Each import's time per phase (ms summed over its batches, which overlap) and the time
    PostgreSQL had nothing of it to do (ImportTimeline in Sources/Customers/Flow)."""
    rows = [r for r in results if r.get("phases")]
    if not rows:
        return
    print(f"\n{'import phases, ms (batches overlap; idle = no round trip of the import at the database)':64} "
          + " ".join(f"{p:>8}" for p in ("wall", "db span", "db idle", "gaps") + PHASES))
    for r in rows:
        p = r["phases"]
        figures = [p.get("wall_ms", 0), p.get("database_span_ms", 0), p.get("database_idle_ms", 0), p.get("database_idle_gaps", 0)]
        figures += [p.get(name + "_ms", 0) for name in PHASES]
        print(f"{r['label']:64} " + " ".join(f"{v:>8.0f}" for v in figures))


def run_import(address: str, stubs_dir: Path, rows: int, pg: Postgres, service_pid: int, phones: str, perf: str = "",
               round_: int = 0, log_path: str = "") -> dict:
    import grpc
    pb = stubs(stubs_dir)
    metadata = actor_metadata(pb, "bench-importer", "/hq/cq/cq-o1/cq-o1-d3/t7")

    def generate():
        for i in range(round_ * rows, (round_ + 1) * rows):
            yield pb.customers.ImportCustomerRow(customer=pb.customers.CustomerInput(
                name=f"导入{i}", phones=["18" + import_digits(i, phones)], address=f"导入路{i}号", district_id="cq-o1-d3",
                kind=pb.customers.CUSTOMER_KIND_FAMILY_GATHERING))
    messages = list(generate())  # made before the clock starts: the client's own cost stays out
    with grpc.insecure_channel(address, options=[("grpc.max_receive_message_length", 256 * 1024 * 1024)]) as channel:
        stub = pb.customers_grpc.CustomerServiceStub(channel)
        pg_before, service_before, client_before = pg.cpu(), cpu_seconds([service_pid]), time.process_time()
        recorders = recording(perf, "import-service", [service_pid], 3600) + recording(perf, "import-postgres",
                                                                                   postgres_pids(pg.postmaster), 3600)
        began = time.monotonic()
        answer = stub.ImportCustomers(iter(messages), metadata=metadata, timeout=3600)
        seconds = time.monotonic() - began
        for recorder in recorders:
            recorder.send_signal(2)  # SIGINT: perf writes its data and ends
            recorder.wait()
        pg_share = (pg.cpu() - pg_before) / seconds
        service_share = (cpu_seconds([service_pid]) - service_before) / seconds
        client_share = (time.process_time() - client_before) / seconds
    return {"label": f"ImportCustomers, {rows} rows" + ("" if phones == "scattered" else f", {phones} phones"), "rows": rows, "seconds": seconds, "rows_per_s": rows / seconds,
            "created": answer.created, "refused": answer.refused, "pg_cpu_share": pg_share, "service_cpu_share": service_share,
            "client_cpu_share": client_share, **({"phases": import_phases(log_path)} if log_path else {})}


def run_copy(url: str, rows: int, work: Path, phones: str, round_: int = 0) -> dict:
    """COPY of the same number of rows (the import's columns) into the same two tables."""
    customers, phones = work / "customers.csv", work / "phones.csv"
    now = time.strftime("%Y-%m-%d %H:%M:%S+00", time.gmtime())
    with customers.open("w") as c, phones.open("w") as p:
        for i in range(round_ * rows, (round_ + 1) * rows):
            c.write(f"copy-{i},复制{i},复制{i},复制路{i}号,复制路{i}号,cq-o1-d3,2,0,{{}},{{17{import_digits(i, phones)}}},bench-importer,"
                    f"/hq/cq/cq-o1/cq-o1-d3/t7,bench-importer,import,{now},{now}\n")
            p.write(f"17{import_digits(i, phones)},copy-{i},mobile\n")
    script = (f"\\copy customers (id, name, name_key, address, address_key, district_id, kind, grade, tags, phones, owner_account_id, "
              f"team_path, created_by, origin, created_at, updated_at) FROM '{customers}' WITH (FORMAT csv)\n"
              f"\\copy customer_phones (phone, customer_id, kind) FROM '{phones}' WITH (FORMAT csv)\n")
    # (No CPU share: psql's backend exits with the COPY, and its CPU time leaves /proc with it.)
    began = time.monotonic()
    subprocess.run(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", url], input=script, text=True, check=True)
    seconds = time.monotonic() - began
    return {"label": f"psql COPY, {rows} rows", "rows": rows, "seconds": seconds, "rows_per_s": rows / seconds}


def recording(folder: str, name: str, pids: list[int], seconds: float) -> list[subprocess.Popen]:
    """perf record (call graphs) of `pids` for `seconds`, into FOLDER/NAME.data (--perf)."""
    if not folder or not pids:
        return []
    Path(folder).mkdir(parents=True, exist_ok=True)
    return [subprocess.Popen(["perf", "record", "-g", "-F", "999", "-o", str(Path(folder) / f"{name}.data"),
                              "-p", ",".join(map(str, pids)), "--", "sleep", str(seconds)],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)]


def affine(pids: list[int], cpus: str) -> None:
    """Every thread of `pids` onto `cpus` (taskset; no change of priority, so the unpinned rows
    stay what they were before --pin-postgres existed)."""
    for pid in pids:
        subprocess.run(["taskset", "-a", "-p", "-c", cpus, str(pid)], check=False, capture_output=True)


class Placement:
    """Where the processes run for a row: `all` CPUs for everyone, or PostgreSQL (postmaster and
    every backend; backends forked later inherit the postmaster's CPU) on `pg_cpu` and the service,
    this process and what it starts (client processes, xsc-load, pgbench, psql) on `client_cpu`."""

    def __init__(self, pg: Postgres, service_pids: list[int], pg_cpu: str, client_cpu: str):
        self.pg, self.service_pids, self.pg_cpu, self.client_cpu = pg, service_pids, pg_cpu, client_cpu
        self.all = "0-" + str(os.cpu_count() - 1)
        self.pinned = False

    def set(self, pinned: bool) -> None:
        self.pinned = pinned
        backends = postgres_pids(self.pg.postmaster)
        affine(backends, self.pg_cpu if pinned else self.all)
        if os.geteuid() == 0:
            # The priority everything else of the run has (bench/customers.sh starts this process
            # with it, and the service, clients, pgbench and psql inherit it): PostgreSQL was
            # started before, and its backends (one thread each) fork from the postmaster.
            subprocess.run(["renice", "-n", PRIORITY, "-p", *map(str, backends)], check=False, capture_output=True)
        affine([*self.service_pids, os.getpid()], self.client_cpu if pinned else self.all)

    @property
    def clients(self) -> str:
        return self.client_cpu if self.pinned else self.all

    @property
    def suffix(self) -> str:
        return f", PG on CPU {self.pg_cpu}" if self.pinned else ""

    def argv(self, argv: list[str]) -> list[str]:
        return ["taskset", "-c", self.clients, *argv]


class Statements:
    """pg_stat_statements of the bench database (--statements): reset before a row, printed after
    it, so a row's SQL and its per-call execution and planning cost can be compared with its
    baseline's."""

    def __init__(self, url: str):
        self.url = url
        self.psql("CREATE EXTENSION IF NOT EXISTS pg_stat_statements")

    def psql(self, sql: str) -> str:
        return subprocess.run(["psql", "-X", "-q", "-A", "-F", "\t", "-t", "-d", self.url, "-c", sql], check=True,
                              capture_output=True, text=True).stdout

    def reset(self) -> None:
        self.psql("SELECT pg_stat_statements_reset()")

    def report(self, label: str, per: float) -> list[dict]:
        """Every statement run since the reset: calls per `per` (a row's calls), mean execution and
        planning ms, plans per call, shared blocks hit/read per call."""
        out = self.psql("""
            SELECT calls, round(mean_exec_time::numeric, 3), round((total_plan_time / greatest(plans, 1))::numeric, 3), plans,
                   round(shared_blks_hit::numeric / calls, 1), round(shared_blks_read::numeric / calls, 1),
                   round(total_exec_time::numeric, 0), regexp_replace(left(query, 110), '\s+', ' ', 'g')
            FROM pg_stat_statements s JOIN pg_database d ON d.oid = s.dbid
            WHERE d.datname = current_database() AND calls > 0 ORDER BY total_exec_time DESC LIMIT 14""")
        rows = []
        print(f"  statements of {label} ({per:.0f} calls):\n  {'calls/call':>10} {'exec ms':>8} {'plan ms':>8} {'plans/call':>10}"
              f" {'hit/call':>8} {'read/call':>9} {'total ms':>9}  query", file=sys.stderr)
        for line in out.splitlines():
            parts = line.split("\t")
            if len(parts) < 8:
                continue
            calls, exec_ms, plan_ms, plans, hit, read, total, query = parts[:8]
            rows.append({"calls": int(calls), "mean_exec_ms": float(exec_ms), "mean_plan_ms": float(plan_ms), "plans": int(plans),
                         "hit_per_call": float(hit), "read_per_call": float(read), "total_exec_ms": float(total), "query": query})
            print(f"  {int(calls) / max(per, 1):>10.2f} {exec_ms:>8} {plan_ms:>8} {int(plans) / max(int(calls), 1):>10.2f}"
                  f" {hit:>8} {read:>9} {total:>9}  {query}", file=sys.stderr)
        return rows


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--superuser-url", required=True)
    parser.add_argument("--pgdata", required=True)
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--duration", type=float, default=15)
    parser.add_argument("--warmup", type=float, default=3)
    parser.add_argument("--processes", type=int, default=2, help="client processes for CreateCustomer")
    parser.add_argument("--concurrency", type=int, default=16, help="callers per client process")
    parser.add_argument("--pool", type=int, default=10, help="the service's pool size = pgbench clients")
    parser.add_argument("--import-rows", type=int, default=100_000)
    parser.add_argument("--only", default="create,near,import")
    parser.add_argument("--import-phones", choices=["scattered", "sequential"], default="scattered",
                        help="the import's (and COPY's) phone digits: scattered serials (default) or the serials themselves, "
                             "which make nearly every row a neighbour swap of another (a near-duplicate flag per row)")
    parser.add_argument("--rounds", type=int, default=3, help="baseline and service measured this many times, alternately")
    parser.add_argument("--client", choices=["both", "python"], default="both",
                        help="CreateCustomer's clients: the Python grpc.aio processes, and (both) xsc-load after them")
    parser.add_argument("--perf", default="", help="folder for perf record data of the service and PostgreSQL (create and import)")
    parser.add_argument("--statements", action="store_true", help="report pg_stat_statements per row (bench/customers.sh --statements)")
    parser.add_argument("--pin-postgres", action="store_true",
                        help="each round again with PostgreSQL on --pg-cpu, the service and every client on --client-cpu")
    parser.add_argument("--pg-cpu", default="0")
    parser.add_argument("--client-cpu", default="1")
    parser.add_argument("--import-phases", action="store_true",
                        help="services at LOG_LEVEL=info; each import's 'import finished' line (where its time went) after the table")
    parser.add_argument("--import-before", default="",
                        help="a folder holding another build's xsc-customers (e.g. main's release): after each import row, "
                             "the same import through that binary (a second service on the same database) beside the same COPY")
    args = parser.parse_args()
    wanted = args.only.split(",")
    if args.rounds * (2 if args.pin_postgres else 1) > 9 or args.processes > 9:
        parser.error("phone serials of a round are round * 10^8 + ...: at most 9 rounds (4 with --pin-postgres) and 9 processes")

    pg = Postgres(Path(args.pgdata))
    work = Path(tempfile.mkdtemp(prefix="customers-bench-"))
    database = "customers_bench"
    subprocess.run(["psql", "-X", "-q", "-d", args.superuser_url, "-c", f"CREATE DATABASE {database}"], check=True)
    db_url = urlunsplit(urlsplit(args.superuser_url)._replace(path="/" + database))
    secrets = work / "secrets"
    xsc("db-bootstrap", "--secrets-dir", str(secrets), "customers", env={"DATABASE_URL": db_url})
    url = (secrets / "customers.database-url").read_text().strip()
    stubs_dir = work / "stubs"
    stubs(stubs_dir)

    def start_service(binary: str):
        port = wire_support.free_port()
        return wire_support.ServerProcess("xsc-customers", [binary], port, env={
            "XSC_LISTEN": f"127.0.0.1:{port}", "XSC_ADMIN_LISTEN": f"127.0.0.1:{wire_support.free_port()}",
            "DATABASE_URL": url, "XSC_ACTOR_SECRET": SECRET, "LOG_LEVEL": "info" if args.import_phases else "warning", "XSC_DB_POOL_SIZE": str(args.pool),
            "XSC_MIGRATIONS_DIR": str(REPO / "services" / "customers" / "migrations"),
            "XSC_NOTIFICATIONS_ADDR": f"127.0.0.1:{wire_support.free_port()}"}).start()
    service = start_service(str(wire_support.binary("xsc-customers")))
    before = None
    results: list[dict] = []
    try:
        if args.import_before:
            before = start_service(str(Path(args.import_before) / "xsc-customers"))
        began = time.monotonic()
        subprocess.run(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-v", f"n={args.customers}", "-d", url,
                        "-f", str(HERE / "customers" / "load.sql")], check=True)
        print(f"loaded {args.customers} customers in {time.monotonic() - began:.0f} s", file=sys.stderr)
        statements = Statements(urlunsplit(urlsplit(args.superuser_url)._replace(path="/" + database))) if args.statements else None

        def measured(row: dict, per_key: str = "calls") -> dict:
            if statements:
                row["statements"] = statements.report(row["label"], row.get(per_key) or row.get("rows") or 1)
                statements.reset()
            return row
        if statements:
            statements.reset()

        def settle() -> None:
            # customers.sh turned autovacuum and timed checkpoints off: every row starts from
            # fresh statistics and clean buffers instead of meeting them halfway.
            subprocess.run(["psql", "-X", "-q", "-d", db_url, "-c", "VACUUM (ANALYZE)", "-c", "CHECKPOINT"],
                           check=True, capture_output=True)

        placement = Placement(pg, [service.proc.pid] + ([before.proc.pid] if before else []), args.pg_cpu, args.client_cpu)
        for round_ in range(args.rounds):
            tag = f" [{round_ + 1}]" if args.rounds > 1 else ""
            for pinned in ([False, True] if args.pin_postgres else [False]):
                placement.set(pinned)
                where = placement.suffix
                if "create" in wanted:
                    settle()
                    base = measured(run_pgbench(url, HERE / "customers" / "create.sql", args.pool, args.duration,
                                                placement.clients, pg, "CreateCustomer SQL, pgbench" + where + tag))
                    settle()
                    mine = measured(run_creates(service.address, stubs_dir, args.processes, args.concurrency, args.warmup, args.duration,
                                                pg, service.proc.pid, args.perf if round_ == 0 and not pinned else "",
                                                round_ * 2 + pinned))
                    mine["label"] += where + tag
                    mine["baseline"], mine["ratio"] = base["calls_per_s"], mine["calls_per_s"] / base["calls_per_s"]
                    results += [base, mine]
                    if args.client == "both":
                        settle()
                        swift = measured(run_creates_xsc_load(service.address, args.processes * args.concurrency, args.warmup,
                                                              args.duration, pg, service.proc.pid, placement.clients, work,
                                                              round_ * 2 + pinned))
                        swift["label"] += where + tag
                        swift["baseline"], swift["ratio"] = base["calls_per_s"], swift["calls_per_s"] / base["calls_per_s"]
                        results.append(swift)
                if "near" in wanted and round_ == 0 and not pinned:
                    settle()
                    near = measured(run_pgbench(url, HERE / "customers" / "near-duplicates.sql", 4, args.duration,
                                                placement.clients, pg, "near-duplicate lookup, pgbench (4 clients)"))
                    results.append(near)
                if "import" in wanted:
                    batch = round_ * 2 + pinned
                    settle()
                    copy = measured(run_copy(url, args.import_rows, work, args.import_phones, batch))
                    copy["label"] += where + tag
                    def import_before() -> dict:
                        # Rows of their own (serials 10 batches further on), into the same team.
                        settle()
                        old = measured(run_import(before.address, stubs_dir, args.import_rows, pg, before.proc.pid, args.import_phones,
                                                  "", batch + 10, before.log.name if args.import_phases else ""))
                        old["label"] = old["label"].replace("ImportCustomers", "ImportCustomers before") + where + tag
                        old["baseline"], old["ratio"] = copy["rows_per_s"], old["rows_per_s"] / copy["rows_per_s"]
                        return old
                    # The other build first in every other row, so neither always meets a database
                    # the one before it just filled.
                    earlier = [import_before()] if before and batch % 2 == 1 else []
                    settle()
                    imported = measured(run_import(service.address, stubs_dir, args.import_rows, pg, service.proc.pid, args.import_phones,
                                                   args.perf if round_ == 0 and not pinned else "", batch,
                                                   service.log.name if args.import_phases else ""))
                    imported["label"] += where + tag
                    imported["baseline"], imported["ratio"] = copy["rows_per_s"], imported["rows_per_s"] / copy["rows_per_s"]
                    results += [copy, imported] + earlier
                    if before and batch % 2 == 0:
                        results.append(import_before())
            placement.set(False)
    finally:
        service.stop()
        if before:
            before.stop()

    print(f"\n{'what':64} {'per s':>8} {'p50 ms':>7} {'p99 ms':>7} {'baseline':>9} {'ratio':>6}  CPU cores: PG / service / client")
    for r in results:
        rate = r.get("calls_per_s", r.get("rows_per_s", 0))
        p50 = f"{r['p50_us'] / 1000:.2f}" if "p50_us" in r else "-"
        p99 = f"{r['p99_us'] / 1000:.2f}" if "p99_us" in r else "-"
        base = f"{r['baseline']:.0f}" if "baseline" in r else "-"
        ratio = f"{r['ratio'] * 100:.0f}%" if "ratio" in r else "-"
        cores = " / ".join(f"{r[k]:.2f}" if k in r else "-" for k in ("pg_cpu_share", "service_cpu_share", "client_cpu_share"))
        print(f"{r['label']:64} {rate:>8.0f} {p50:>7} {p99:>7} {base:>9} {ratio:>6}  {cores}"
              + (f"  errors {r['errors']}" if r.get("errors") else ""))
    print_phases(results)
    # Each round's ratio is taken against the baseline measured just before it: on a shared
    # machine the rounds differ by more than the service's changes do, the ratio much less.
    ratios: dict[str, list[float]] = {}
    for r in results:
        if "ratio" in r:
            ratios.setdefault(r["label"].split(" [")[0], []).append(r["ratio"])
    if args.rounds > 1:
        print(f"\n{'ratio to its baseline over the rounds':64} {'median':>8} {'min':>7} {'max':>7}")
        for label, values in ratios.items():
            ordered = sorted(values)
            print(f"{label:64} {ordered[len(ordered) // 2] * 100:>7.0f}% {ordered[0] * 100:>6.0f}% {ordered[-1] * 100:>6.0f}%")
    print(f"machine: {os.cpu_count()} CPUs, load average {open('/proc/loadavg').read().split()[:3]} at the end")
    out = HERE / "results" / f"customers-{time.strftime('%Y%m%d-%H%M%S')}.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps({"args": vars(args), "results": results}, indent=2, ensure_ascii=False))
    print(f"details: {out.relative_to(REPO)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
