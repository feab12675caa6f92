"""The SubmitOrder benchmark (issue 5; a measurement, not a test). Driven by bench/orders.sh,
which builds and starts a throwaway PostgreSQL; see there. In one run, on one PostgreSQL
pinned to CPU 0, with every client and service pinned to CPU 1:

  pgbench, the service's SQL     the statements xsc-orders sends, in its two pipelines (the
                                 issue's baseline: "pgbench running the same SQL transaction")
  pgbench, separate statements   the intake's SQL as it was, one statement per round trip
  pgbench, one statement         the same writes as one statement (one round trip)
  direct                         xsc-orders-bench -> xsc-orders (a minted partner actor)
  gateway                        xsc-orders-bench -> xsc-gateway (a partner key) -> xsc-orders

Every order is distinct (its own external_id and idempotency key). Prints one table with
each figure beside the pgbench baselines and the ratio; results/orders-STAMP.json keeps all."""
from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(REPO / "Tests" / "wire"))
import wire_support  # noqa: E402
from pg_work import PgWork, print_report  # noqa: E402

SECRET = "orders-bench-actor-secret-0123456789abcdef"
ADMIN_PHONE = "13800000000"
ADMIN_PASSWORD = "orders-bench-admin-password"


PRIORITY = os.environ.get("XSC_BENCH_NICE", "-10")


def pinned(cpu: str, argv: list[str]) -> list[str]:
    """Pinned to `cpu`, and (as root) ahead of ordinary work such as builds running beside."""
    prefix = ["nice", "-n", PRIORITY] if os.geteuid() == 0 else []
    return [*prefix, "taskset", "-c", cpu, *argv]


def xsc(*args: str, env: dict[str, str] | None = None) -> str:
    result = subprocess.run([str(wire_support.binary("xsc")), *args], capture_output=True, text=True, timeout=300,
                            env={**os.environ, **(env or {})})
    if result.returncode != 0:
        raise RuntimeError(f"xsc {args[0]} failed: {result.stderr}{result.stdout}")
    return result.stdout


def cpu_seconds(pids: list[int]) -> float:
    """utime + stime of the processes, in seconds."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / ticks
        except (OSError, IndexError):
            pass
    return total


def postgres_pids(postmaster: int) -> list[int]:
    """The postmaster and every process it forked (backends, writers)."""
    pids = [postmaster]
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int(Path(entry, "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            if ppid == postmaster:
                pids.append(int(entry.name))
    return pids


class Postgres:
    def __init__(self, pgdata: Path):
        self.postmaster = int((pgdata / "postmaster.pid").read_text().split()[0])

    def pin(self, cpu: str) -> None:
        for pid in postgres_pids(self.postmaster):
            subprocess.run(["taskset", "-a", "-p", "-c", cpu, str(pid)], check=False, capture_output=True)
            if os.geteuid() == 0:
                subprocess.run(["renice", "-n", PRIORITY, "-p", str(pid)], check=False, capture_output=True)

    def cpu(self) -> float:
        return cpu_seconds(postgres_pids(self.postmaster))

    def busy_share(self, proc: subprocess.Popen, start_after: float, window: float) -> float:
        """PostgreSQL's CPU share over `window` seconds starting `start_after` seconds from now,
        read while its backends live (a backend's CPU time leaves /proc with it)."""
        time.sleep(start_after)
        before, began = self.cpu(), time.monotonic()
        time.sleep(window)
        used, elapsed = self.cpu() - before, time.monotonic() - began
        return used / elapsed if proc.poll() is None else float("nan")


def run_pgbench(url: str, script: Path, clients: int, seconds: float, cpu: str, pg: Postgres, label: str) -> dict:
    with tempfile.TemporaryDirectory(prefix="pgbench-") as folder:
        prefix = Path(folder) / "txn"
        argv = pinned(cpu, ["pgbench", "-n", "-M", "prepared", "-c", str(clients), "-j", "1", "-T", str(int(seconds)),
                            "-f", str(script), "-l", "--log-prefix", str(prefix), url])
        proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        share = pg.busy_share(proc, 1.0, max(0.5, seconds - 2.0))
        stdout, stderr = proc.communicate(timeout=seconds + 120)
        result = subprocess.CompletedProcess(argv, proc.returncode, stdout, stderr)
        if result.returncode != 0:
            raise RuntimeError(f"pgbench failed:\n{result.stdout}\n{result.stderr}")
        tps = float(re.search(r"tps = ([0-9.]+)", result.stdout).group(1))
        failed = re.search(r"number of failed transactions: (\d+)", result.stdout)
        latencies = []
        for log in Path(folder).glob("txn*"):
            for line in log.read_text().splitlines():
                parts = line.split()
                if len(parts) >= 3:
                    latencies.append(int(parts[2]))
    latencies.sort()
    calls = len(latencies)
    return {"label": label, "calls_per_s": tps, "calls": calls, "seconds": seconds,
            "p50_us": percentile(latencies, 0.5), "p90_us": percentile(latencies, 0.9), "p99_us": percentile(latencies, 0.99),
            "errors": {"failed": int(failed.group(1))} if failed and int(failed.group(1)) else {},
            "pg_cpu_us_per_call": share * 1e6 / tps if tps else 0, "pg_cpu_share": share, "servers": []}


def percentile(values: list[int], fraction: float) -> int:
    if not values:
        return 0
    index = min(len(values) - 1, max(0, int(-(-len(values) * fraction // 1)) - 1))
    return values[index]


def run_load(target: str, metadata_file: Path, extra: list[str], args, pg: Postgres, label: str, pids: list[int]) -> dict:
    argv = pinned(args.client_cpu, [str(wire_support.binary("xsc-orders-bench")), "run", "--target", target,
                                    "--metadata-file", str(metadata_file), *extra,
                                    "--concurrency", str(args.concurrency), "--connections", str(args.connections),
                                    "--duration", str(args.duration), "--warmup", str(args.warmup), "--label", label])
    for pid in pids:
        argv += ["--server-pid", str(pid)]
    recorders = []
    if args.perf:
        # Where the time goes: perf record of each measured server and of PostgreSQL's backends.
        Path(args.perf).mkdir(parents=True, exist_ok=True)
        targets = [(f"{label}-{pid}", [pid]) for pid in pids] + [(f"{label}-postgres", postgres_pids(pg.postmaster))]
        for name, target in targets:
            recorders.append(subprocess.Popen(
                ["perf", "record", "-g", *(["-e", args.perf_event, "-c", "7"] if args.perf_event else ["-F", "999"]),
                 "-o", str(Path(args.perf) / f"{name}.data"),
                 "-p", ",".join(map(str, target)), "--", "sleep", str(args.warmup + args.duration)],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
    window = max(0.5, args.duration - 1.0)
    counting = None
    if args.callgrind:
        # Instructions per call, counted by callgrind over the measured window: unlike CPU time
        # they hardly move with other work on the machine, so two builds compare within a per
        # cent or two on a busy machine (this VM has no hardware counters for perf stat).
        counting = subprocess.Popen(
            ["bash", "-c", f"sleep {args.warmup + 0.5}; " + " ".join(f"callgrind_control -z {pid};" for pid in pids)
             + f" sleep {window}; " + " ".join(f"callgrind_control -d {pid};" for pid in pids)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    counters = []
    if args.perf_stat:
        # Events counted per call over the measured window (after the warm-up): allocations and
        # system calls per order are exact where CPU time moves with the machine's load. Uprobes
        # (probe_libc:malloc, made with `perf probe`) slow the process: not with CPU figures.
        for pid in pids:
            out = Path(tempfile.mkstemp(prefix=f"perf-stat-{pid}-")[1])
            counters.append((pid, out, subprocess.Popen(
                ["sh", "-c", f"sleep {args.warmup}; exec perf stat -x, -o {out} -e {args.perf_stat} -p {pid} -- sleep {args.duration}"],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)))
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    share = pg.busy_share(proc, args.warmup + 0.5, window)
    stdout, stderr = proc.communicate(timeout=args.duration + args.warmup + 120)
    result = subprocess.CompletedProcess(argv, proc.returncode, stdout, stderr)
    for recorder in recorders:
        recorder.wait()
    counted_events: dict[str, dict[str, float]] = {}
    for pid, out, counter in counters:
        counter.wait()
        totals = {}
        for line in out.read_text().splitlines():
            parts = line.split(",")
            if len(parts) > 2 and parts[0].replace(".", "").isdigit():
                totals[parts[2]] = float(parts[0])
        out.unlink()
        counted_events[str(pid)] = totals
    if result.returncode != 0:
        raise RuntimeError(f"xsc-orders-bench run failed:\n{result.stdout}\n{result.stderr}")
    report = json.loads(result.stdout.strip().splitlines()[-1])
    report["pg_cpu_share"] = share
    if counting is not None:
        counting.wait()
        calls = report["calls_per_s"] * window
        report["instructions_per_call"] = {str(pid): callgrind_instructions(args.callgrind, pid) / calls if calls else 0
                                           for pid in pids}
    report["pg_cpu_us_per_call"] = share * 1e6 / report["calls_per_s"] if report["calls_per_s"] else 0
    if counted_events:
        calls = report["calls_per_s"] * args.duration
        report["events_per_call"] = {pid: {name: count / calls for name, count in totals.items()} if calls else {}
                                     for pid, totals in counted_events.items()}
    return report


def callgrind_instructions(folder: str, pid: int) -> float:
    """The instructions of the last dump `callgrind_control -d` made of `pid` (its "totals:" line)."""
    dumps = sorted(Path(folder).glob(f"callgrind.out.{pid}.*"), key=lambda path: path.stat().st_mtime)
    if not dumps:
        return float("nan")
    for line in dumps[-1].read_text(errors="replace").splitlines():
        if line.startswith(("totals:", "summary:")):
            return float(line.split()[1])
    return float("nan")


def under_callgrind(args, name: str, argv: list[str]) -> list[str]:
    """`argv` under callgrind when --callgrind is given, dumps in its folder."""
    if not args.callgrind:
        return argv
    folder = Path(args.callgrind).resolve()
    # Valgrind's reader gives up on the release binaries' DWARF: a copy without it (the
    # symbols stay, so callgrind_annotate still names functions).
    copy = folder / "bin" / name / Path(argv[0]).name
    copy.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run(["strip", "--strip-debug", "-o", str(copy), argv[0]], check=True)
    return ["valgrind", "--tool=callgrind", "--cache-sim=no", "--dump-instr=no",
            f"--callgrind-out-file={folder}/callgrind.out.%p", str(copy), *argv[1:]]


def service_env(args) -> dict[str, str]:
    return dict(item.split("=", 1) for item in args.service_env)


def start_services(bin_dir: Path, name: str, args, orders_url: str, gateway_url: str,
                   sink_port: int) -> tuple[wire_support.ServerProcess, wire_support.ServerProcess]:
    """xsc-orders and xsc-gateway (routing to it) from `bin_dir`, pinned beside the clients."""
    suffix = f"-{name}" if name else ""
    orders_port = wire_support.free_port()
    orders = wire_support.ServerProcess("xsc-orders" + suffix, pinned(args.client_cpu, under_callgrind(args, "orders" + suffix, [str(bin_dir / "xsc-orders")])),
                                        orders_port, env={
        "XSC_LISTEN": f"127.0.0.1:{orders_port}", "XSC_ADMIN_LISTEN": f"127.0.0.1:{wire_support.free_port()}",
        "DATABASE_URL": orders_url, "XSC_ACTOR_SECRET": SECRET, "LOG_LEVEL": "warning",
        "XSC_MIGRATIONS_DIR": str(REPO / "services" / "orders" / "migrations"), **service_env(args),
        # Every peer the outbox delivers to is the sink (orders lists them in OrdersService.peers).
        **{f"XSC_{peer}_ADDR": f"127.0.0.1:{sink_port}" for peer in ("NOTIFICATIONS", "SETTLEMENTS", "CUSTOMERS")}}).start()
    gateway_port = wire_support.free_port()
    try:
        gateway = wire_support.ServerProcess("xsc-gateway" + suffix, pinned(args.client_cpu, under_callgrind(args, "gateway" + suffix, [str(bin_dir / "xsc-gateway")])),
                                             gateway_port, env={
            "XSC_LISTEN": f"127.0.0.1:{gateway_port}", "XSC_ADMIN_LISTEN": f"127.0.0.1:{wire_support.free_port()}",
            # Its own port, not the default 7180: other benchmarks and tests on the machine use that.
            "XSC_HTTP_LISTEN": f"127.0.0.1:{wire_support.free_port()}",
            "DATABASE_URL": gateway_url, "XSC_ACTOR_SECRET": SECRET, "LOG_LEVEL": "warning",
            "XSC_ADMIN_PHONE": ADMIN_PHONE, "XSC_ADMIN_PASSWORD": ADMIN_PASSWORD,
            "XSC_RATE_BURST": "1000000", "XSC_RATE_PER_SECOND": "1000000", "XSC_SCRYPT_LOG2N": "12",
            "XSC_MIGRATIONS_DIR": str(REPO / "services" / "gateway" / "migrations"),
            "XSC_ORDERS_ADDR": f"127.0.0.1:{orders_port}", **service_env(args)}).start()
    except Exception:
        orders.stop()
        raise
    return orders, gateway


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--superuser-url", required=True)
    parser.add_argument("--pgdata", required=True)
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--duration", type=float, default=10)
    parser.add_argument("--warmup", type=float, default=2)
    parser.add_argument("--concurrency", type=int, default=16, help="callers of xsc-orders-bench")
    parser.add_argument("--connections", type=int, default=1, help="HTTP/2 connections of xsc-orders-bench")
    parser.add_argument("--pgbench-clients", type=int, default=10, help="= the service's pool size")
    parser.add_argument("--pg-cpu", default="0")
    parser.add_argument("--client-cpu", default="1")
    parser.add_argument("--only", default="pgbench-service,pgbench-statements,pgbench-one,direct,gateway")
    parser.add_argument("--note", default="")
    parser.add_argument("--keep", action="store_true", help="leave the processes running (debugging)")
    parser.add_argument("--perf", default="", help="folder for perf record data of each service run")
    parser.add_argument("--callgrind", default="",
                        help="folder: run the services under callgrind and count their instructions per call")
    parser.add_argument("--before-bin-dir", default="",
                        help="also measure xsc-orders and xsc-gateway from this folder (an earlier build), same run")
    parser.add_argument("--pgbench-script", action="append", default=[], metavar="LABEL=FILE",
                        help="also run this pgbench script (experiments: what a change of SQL would give)")
    parser.add_argument("--perf-event", default="", metavar="EVENT",
                        help="with --perf: record every 7th EVENT (e.g. probe_libswiftCore:swift_allocObject: where "
                             "allocations come from) instead of cpu-clock samples")
    parser.add_argument("--perf-stat", default="", metavar="EVENTS",
                        help="perf stat events counted per call for each service process (e.g. "
                             "probe_libc:malloc,raw_syscalls:sys_enter,context-switches)")
    parser.add_argument("--pg-stats", action="store_true",
                        help="count PostgreSQL's work per order in each row (bench/pg_work.py; adds ~25 s per row)")
    parser.add_argument("--service-env", action="append", default=[], metavar="NAME=VALUE",
                        help="an environment variable for xsc-orders and xsc-gateway (e.g. XSC_OUTBOX_HANDOFF=on)")
    args = parser.parse_args()
    wanted = args.only.split(",")

    pg = Postgres(Path(args.pgdata))
    pg.pin(args.pg_cpu)
    work = Path(tempfile.mkdtemp(prefix="orders-bench-"))
    database = "orders_bench"
    subprocess.run(["psql", "-X", "-q", "-d", args.superuser_url, "-c", f"CREATE DATABASE {database}"], check=True)
    db_url = urlunsplit(urlsplit(args.superuser_url)._replace(path="/" + database))
    secrets = work / "secrets"
    xsc("db-bootstrap", "--secrets-dir", str(secrets), "orders", "gateway", env={"DATABASE_URL": db_url})
    orders_url = (secrets / "orders.database-url").read_text().strip()
    gateway_url = (secrets / "gateway.database-url").read_text().strip()

    processes = []
    try:
        sink_port = wire_support.free_port()
        sink = wire_support.ServerProcess("outbox-sink", pinned(args.client_cpu, [
            str(wire_support.binary("xsc-orders-bench")), "sink", "--port", str(sink_port)]), sink_port).start()
        processes.append(sink)
        builds = {"": Path(os.environ["XSC_BIN_DIR"])}
        if args.before_bin_dir:
            builds["before"] = Path(args.before_bin_dir)
        services: dict[str, tuple[wire_support.ServerProcess, wire_support.ServerProcess]] = {}
        for name, bin_dir in builds.items():
            pair = start_services(bin_dir, name, args, orders_url, gateway_url, sink_port)
            processes.extend(pair)
            services[name] = pair
        orders, gateway = services[""]
        orders_port, gateway_port = orders.port, gateway.port
        pg.pin(args.pg_cpu)  # backends forked since the first pin inherit it; pin again anyway

        admin = work / "admin.actor"
        admin.write_text(xsc("mint-actor", "--audience", "orders", "--account", "bench-admin", "--role", "admin", "--team", "/hq",
                             "--plain", "--ttl", "3600", env={"XSC_ACTOR_SECRET": SECRET}))
        partner = work / "partner.actor"
        partner.write_text(xsc("mint-actor", "--audience", "orders", "--account", "drill-mall", "--role", "partner", "--plain", "--ttl", "3600",
                               env={"XSC_ACTOR_SECRET": SECRET}))
        system = work / "system.actor"
        # For orders only (actors carry their audience) and at most an hour (services refuse longer).
        system.write_text(xsc("mint-actor", "--audience", "orders", "--account", "service:gateway", "--role", "system", "--team", "/",
                              "--plain", "--ttl", "3600", env={"XSC_ACTOR_SECRET": SECRET}))
        seeded = subprocess.run([str(wire_support.binary("xsc-orders-bench")), "seed", "--target",
                                 f"127.0.0.1:{orders_port}", "--metadata-file", str(admin),
                                 "--directory-metadata-file", str(system)],
                                capture_output=True, text=True, timeout=120)
        if seeded.returncode != 0:
            raise RuntimeError(f"seeding failed: {seeded.stdout}{seeded.stderr}")
        drill = xsc("seed-drill", "--gateway", f"127.0.0.1:{gateway_port}", env={"XSC_ADMIN_PASSWORD": ADMIN_PASSWORD})
        key = re.search(r"shown once: (\S+)", drill).group(1)
        gateway_auth = work / "partner.key"
        gateway_auth.write_text(f"authorization: Bearer {key}\n")

        rounds: list[dict[str, dict]] = []
        # What one round measures, in order; odd rounds run it backwards, so a machine that gets
        # busier or quieter during a round does not always favour the same rows.
        runs: list[tuple[str, object]] = []
        statements_sql, one_sql = HERE / "orders" / "intake-statements.sql", HERE / "orders" / "intake-one-statement.sql"
        service_sql = HERE / "orders" / "intake-service-sql.sql"
        if "pgbench-service" in wanted:
            runs.append(("pgbench-service", lambda: run_pgbench(orders_url, service_sql, args.pgbench_clients,
                                                                args.duration, args.client_cpu, pg,
                                                                "pgbench, the service's SQL")))
        if "pgbench-statements" in wanted:
            runs.append(("pgbench-statements", lambda: run_pgbench(orders_url, statements_sql, args.pgbench_clients,
                                                                   args.duration, args.client_cpu, pg,
                                                                   "pgbench, separate statements")))
        if "pgbench-one" in wanted:
            runs.append(("pgbench-one", lambda: run_pgbench(orders_url, one_sql, args.pgbench_clients, args.duration,
                                                            args.client_cpu, pg, "pgbench, one statement")))
        for extra in args.pgbench_script:
            label, script = extra.split("=", 1)
            runs.append((label, lambda label=label, script=script: run_pgbench(
                orders_url, Path(script).resolve(), args.pgbench_clients, args.duration, args.client_cpu, pg,
                f"pgbench, {label}")))
        for name, (orders_n, gateway_n) in services.items():
            suffix = f" ({name})" if name else ""
            if "direct" in wanted:
                runs.append(("direct" + suffix, lambda suffix=suffix, orders_n=orders_n: run_load(
                    f"127.0.0.1:{orders_n.port}", partner, [], args, pg, "direct" + suffix, [orders_n.proc.pid])))
            if "gateway" in wanted:
                runs.append(("gateway" + suffix, lambda suffix=suffix, orders_n=orders_n, gateway_n=gateway_n: run_load(
                    f"127.0.0.1:{gateway_n.port}", gateway_auth, [], args, pg, "gateway" + suffix,
                    [gateway_n.proc.pid, orders_n.proc.pid])))
        # Warm-up: PostgreSQL's caches and the services' connections, unmeasured.
        run_pgbench(orders_url, statements_sql, args.pgbench_clients, 2, args.client_cpu, pg, "warm-up")
        work = PgWork(db_url) if args.pg_stats else None

        def counted(run):
            # Every row starts alike: no outbox backlog (pgbench's rows insert outbox rows as the
            # intake does but never deliver them - the services' relays did, claiming tens of
            # thousands of them during the next rows, which doubled PostgreSQL's work per order
            # there; a service row's undelivered tail is marked too), fresh statistics, and right
            # after a checkpoint (orders.sh turned timed checkpoints and autovacuum off).
            subprocess.run(["psql", "-X", "-q", "-d", db_url,
                            "-c", "UPDATE orders.xsc_outbox SET state = 'delivered', delivered_at = now() WHERE state = 'pending'",
                            "-c", "VACUUM (ANALYZE)", "-c", "CHECKPOINT"], check=True, capture_output=True)
            if work is None:
                return run()
            work.reset()
            report = run()
            report["pg_work"] = work.collect()
            return report

        for number in range(args.rounds):
            measured = {name: counted(run) for name, run in (runs if number % 2 == 0 else list(reversed(runs)))}
            results = {name: measured[name] for name, _ in runs}
            rounds.append(results)
            print(f"round {number + 1}: " + ", ".join(f"{k} {v['calls_per_s']:.0f}/s" for k, v in results.items()),
                  file=sys.stderr)
        for process in processes:
            if not process.is_running():
                raise RuntimeError(f"{process.name} died:\n{process.output()}")
        if args.keep:
            print(f"--keep: orders on {orders_port}, gateway on {gateway_port}, database {orders_url}; "
                  "press Enter to stop", file=sys.stderr)
            try:
                input()
            except EOFError:
                pass
    finally:
        for process in reversed(processes):
            process.stop()

    summary = {name: median_of([r[name] for r in rounds]) for name in rounds[0]}
    for name, row in summary.items():
        # Ratios are taken within each round (the machine changes between rounds), then the median.
        for base, _ in BASELINES:
            if all(base in r for r in rounds):
                row[f"vs {base}"] = statistics.median(r[name]["calls_per_s"] / r[base]["calls_per_s"] for r in rounds)
    print_table(summary, args)
    if args.pg_stats:
        print_report({rounds[0][name]["label"]: [r[name]["pg_work"] for r in rounds] for name in rounds[0]})
    stamp = time.strftime("%Y%m%d-%H%M%S")
    out = HERE / "results" / f"orders-{stamp}.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps({"args": vars(args), "rounds": rounds, "median": summary,
                               "load_average": os.getloadavg()}, indent=1))
    print(f"\nall readings: {out.relative_to(REPO)}")
    errors = sum(sum(r.get("errors", {}).values()) for rs in rounds for r in rs.values())
    return 0 if errors == 0 else 1


def median_of(readings: list[dict]) -> dict:
    merged = dict(readings[0])
    for key in ("calls_per_s", "p50_us", "p90_us", "p99_us", "pg_cpu_us_per_call", "pg_cpu_share"):
        if key in merged:
            merged[key] = statistics.median(r[key] for r in readings)
            if key.endswith("_us"):
                merged[key] = round(merged[key])
    merged["rounds"] = [r["calls_per_s"] for r in readings]
    # Each server's CPU and RSS per call as the median over the rounds too (the table showed the
    # first round's alone).
    if all(len(r.get("servers", [])) == len(merged.get("servers", [])) for r in readings):
        merged["servers"] = [
            {**server, **{key: statistics.median(r["servers"][index][key] for r in readings)
                          for key in ("cpu_us_per_call", "rss_max_mib") if key in server}}
            for index, server in enumerate(merged.get("servers", []))]
    if all("instructions_per_call" in r for r in readings):
        merged["instructions_per_call"] = statistics.median(sum(r["instructions_per_call"].values()) for r in readings)
    return merged


# The pgbench rows every other row is divided by: (run name, column/summary wording).
BASELINES = [("pgbench-service", "the service's SQL"), ("pgbench-statements", "separate statements"),
             ("pgbench-one", "one statement")]


def print_table(summary: dict[str, dict], args) -> None:
    baselines = [(base, words) for base, words in BASELINES if base in summary]
    print(f"\nSubmitOrder, {args.duration:.0f} s per run after {args.warmup:.0f} s warm-up, medians of {args.rounds} "
          f"round(s); PostgreSQL on CPU {args.pg_cpu}, clients and services on CPU {args.client_cpu}; "
          f"load generator {args.concurrency} callers on {args.connections} connection(s), pgbench -c {args.pgbench_clients}")
    if args.note:
        print(f"note: {args.note}")
    print()
    print("| run | tx/s (rounds) | " + "".join(f"vs pgbench {words} | " for _, words in baselines)
          + "p50/p90/p99 us | PG CPU us/tx (busy) | service CPU us/call | RSS MiB | errors |")
    print("|---|---|" + "---|" * len(baselines) + "---|---|---|---|---|")
    for name, r in summary.items():
        ratios = "".join(f"{r['vs ' + base]:.2f}x | " for base, _ in baselines)
        per_round = " / ".join(f"{value:,.0f}" for value in r["rounds"]) if len(r["rounds"]) > 1 else ""
        servers = r.get("servers", [])
        cpu = " + ".join(f"{s['cpu_us_per_call']:.0f}" for s in servers) or "-"
        rss = " + ".join(f"{s['rss_max_mib']:.1f}" for s in servers) or "-"
        errors = sum(r.get("errors", {}).values())
        print(f"| {r['label']} | {r['calls_per_s']:,.0f}{f' ({per_round})' if per_round else ''} | {ratios}{r['p50_us']}/{r['p90_us']}/{r['p99_us']} | "
              f"{r['pg_cpu_us_per_call']:.0f} ({r['pg_cpu_share'] * 100:.0f}%) | {cpu} | {rss} | {errors} |")
    for name, target in (("direct", 0.8), ("gateway", 0.6)):
        if name in summary and baselines:
            parts = [f"{summary[name]['vs ' + base]:.0%} of pgbench {words} "
                     f"({'met' if summary[name]['vs ' + base] >= target else 'not met'})" for base, words in baselines]
            print(f"{name}, target {target:.0%}: " + ", ".join(parts))
    for name, r in summary.items():
        if "instructions_per_call" in r:
            print(f"{r['label']}: {r['instructions_per_call'] / 1000:,.1f}k instructions per call (user space, "
                  f"every service of the row, callgrind, median over rounds)")
        for pid, per_call in r.get("events_per_call", {}).items():
            print(f"{r['label']}, process {pid}, per call (round 1): "
                  + ", ".join(f"{event} {value:.1f}" for event, value in per_call.items()))
    print("ratios: the median over rounds of (tx/s / the pgbench row of the same round).")
    print("gateway row: service CPU and RSS are gateway + orders.")


if __name__ == "__main__":
    sys.exit(main())
