"""Every service's xsc-load scenario in one run, each beside two floors measured in the same run
(a measurement, not a test: it prints figures and never judges them). Driven by bench/load.sh,
which builds release binaries and starts a throwaway PostgreSQL.

One system (cluster_support: gateway, orders, customers, proposals, notifications, settlements on
one fresh database, seeded with `xsc seed-drill`) and xsc-bench-server, then, one after another:

  echo floor    xsc-load bench/loadtest/echo.json against xsc-bench-server: the same client,
                connection and machine, none of a service's work (no actor, no database);
  insert floor  pgbench, 10 clients (a service's pool), one INSERT of a 200-byte row per
                transaction on the same PostgreSQL: what one committed write costs here;
  each scenario directly (minted actors) and, where people can make the calls, through the
                gateway (the drill's logged-in people; orders with a partner key).

The table gives operations/s, latency percentiles, the CPU per operation of the server(s) and
each row's ratio to both floors; results/load-STAMP.json keeps every report."""
from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(REPO / "Tests" / "wire"))
sys.path.insert(0, str(HERE))
import wire_support  # noqa: E402
from cluster_support import ACTOR_SECRET, ALL_SERVICES, DRILL_PASSWORD, Cluster, psql  # noqa: E402
from orders import Postgres, percentile  # noqa: E402

SALESPERSON, TEAM_ADMIN = "13900000007", "13900000006"
INSERT_FLOOR = """\\set k random(1, 1000000000)
INSERT INTO load_floor (k, body) VALUES (:k, repeat('x', 200));
"""


def xsc_load(*args: str, timeout_s: float = 900) -> dict:
    argv = [str(wire_support.binary("xsc-load")), *args, "--json"]
    done = subprocess.run(argv, cwd=REPO, env={**os.environ, "XSC_ACTOR_SECRET": ACTOR_SECRET},
                          capture_output=True, text=True, timeout=timeout_s)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)} failed:\n{done.stdout}\n{done.stderr}")
    return json.loads(done.stdout)


def insert_floor(url: str, script: Path, seconds: float, pg: Postgres) -> dict:
    """pgbench at the priority and on the CPUs the services have (bench/orders.py's run_pgbench
    pins and renices it, which would favour the floor here)."""
    with tempfile.TemporaryDirectory(prefix="pgbench-") as folder:
        argv = ["pgbench", "-n", "-M", "prepared", "-c", "10", "-j", "1", "-T", str(int(seconds)), "-f", str(script),
                "-l", "--log-prefix", str(Path(folder) / "txn"), url]
        proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        share = pg.busy_share(proc, 1.0, max(0.5, seconds - 2.0))
        stdout, stderr = proc.communicate(timeout=seconds + 120)
        if proc.returncode != 0:
            raise RuntimeError(f"pgbench failed:\n{stdout}\n{stderr}")
        tps = float(re.search(r"tps = ([0-9.]+)", stdout).group(1))
        latencies = sorted(int(line.split()[2]) for log in Path(folder).glob("txn*")
                           for line in log.read_text().splitlines() if len(line.split()) >= 3)
    return {"calls_per_s": tps, "calls": len(latencies), "p50_us": percentile(latencies, 0.5),
            "p90_us": percentile(latencies, 0.9), "p99_us": percentile(latencies, 0.99),
            "pg_cpu_us_per_call": share * 1e6 / tps if tps else 0}


def machine() -> str:
    model = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                  if line.startswith("model name")), "unknown CPU")
    return f"{os.cpu_count()} CPUs ({model}), kernel {os.uname().release}"


def loadavg() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def median_report(reports: list[dict]) -> dict:
    """The report of the round with the median throughput (its other columns come with it)."""
    ordered = sorted(reports, key=lambda report: report["operations_per_s"])
    return ordered[(len(ordered) - 1) // 2]


def print_table(rows: list[tuple[str, str, dict]], args, started: datetime) -> None:
    names = list(dict.fromkeys(name for name, _, _ in rows))
    by_name = {name: [report for n, _, report in rows if n == name] for name in names}
    medians = {name: median_report(reports) for name, reports in by_name.items()}
    echo = medians.get("echo floor", {}).get("operations_per_s", 0)
    insert = medians.get("insert floor", {}).get("operations_per_s", 0)
    print(f"\nxsc-load rows, {started:%Y-%m-%d %H:%M} UTC, {machine()}; closed loop {args.concurrency} callers "
          f"on {args.connections} connection(s), "
          f"{args.duration:g} s after {args.warmup:g} s warm-up, {args.rounds} round(s), odd rounds in reverse order; "
          f"load average {loadavg()} at the end. {args.note}")
    print("\n| row | ops/s (rounds) | vs echo | vs insert | p50/p90/p99/p99.9 us | server CPU us/op | RSS MiB | statuses | load avg after |")
    print("|---|---|---|---|---|---|---|---|---|")
    for name in names:
        report = medians[name]
        latency = report["latency_us"]
        parts = "/".join(str(latency.get(key, "-")) for key in ("p50", "p90", "p99", "p99.9"))
        servers = report.get("servers", [])
        cpu = " + ".join(f"{server['cpu_us_per_operation']:.0f}" for server in servers) or (
            f"PG {report['pg_cpu_us_per_op']:.0f}" if "pg_cpu_us_per_op" in report else "-")
        rss = " + ".join(f"{server['rss_max_mib']:.1f}" for server in servers) or "-"
        statuses = ", ".join(f"{key} {value}" for key, value in sorted(report["statuses"].items()))
        ops = report["operations_per_s"]
        extra = report.get("extra") or {}
        if "close_ms" in extra:
            closes = " / ".join(f"{r['extra']['close_ms']:.0f}" for r in by_name[name])
            statuses += f"; CloseWeek {closes} ms, {extra['close_statements']:.0f} statements"
        rounds = " / ".join(f"{r['operations_per_s']:,.0f}" for r in by_name[name])
        print(f"| {name} | {ops:,.0f} ({rounds}) | {ops / echo if echo else 0:.3f}x | {ops / insert if insert else 0:.2f}x | "
              f"{parts} | {cpu} | {rss} | {statuses} | {report['loadavg_after']} |")
    print("\nCommands (first round):")
    for name in names:
        print(f"- {name}: `{next(command for n, command, _ in rows if n == name)}`")


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--superuser-url", default=os.environ.get("DATABASE_URL"))
    parser.add_argument("--pgdata", default=os.environ.get("PGDATA"))
    parser.add_argument("--duration", type=float, default=10)
    parser.add_argument("--warmup", type=float, default=2)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--connections", type=int, default=1, help="HTTP/2 connections per xsc-load run")
    parser.add_argument("--only", default="", help="comma-separated row names' first words (echo, insert, orders, orders-drill, ...)")
    parser.add_argument("--note", default="")
    args = parser.parse_args()
    only = {name for name in args.only.split(",") if name}
    wanted = lambda name: not only or name.split()[0] in only  # noqa: E731
    timing = ["--duration", str(args.duration), "--warmup", str(args.warmup)]
    closed = ["--concurrency", str(args.concurrency), "--connections", str(args.connections)]
    rows: list[tuple[str, str, dict]] = []
    started = datetime.now(timezone.utc)
    print(f"machine: {machine()}; load average {loadavg()} at the start", file=sys.stderr)

    with tempfile.TemporaryDirectory(prefix="xsc-load-bench-") as work, \
            Cluster.started(Path(work), services=ALL_SERVICES, superuser_url=args.superuser_url) as cluster:
        cluster.seed_drill_once()
        token = dict(cluster.create_partner_key("load-mall", "mall"))["authorization"].removeprefix("Bearer ")
        pid = {name: cluster.processes[name].proc.pid for name in ALL_SERVICES}
        bench_port = wire_support.free_port()
        bench = wire_support.ServerProcess("xsc-bench-server", [str(wire_support.binary("xsc-bench-server")),
                                                                "--port", str(bench_port)], bench_port).start()
        scratch = "xsc_load_floor"
        psql(args.superuser_url, f"DROP DATABASE IF EXISTS {scratch}")
        psql(args.superuser_url, f"CREATE DATABASE {scratch}")
        floor_url = urlunsplit(urlsplit(args.superuser_url)._replace(path="/" + scratch))
        psql(floor_url, "CREATE TABLE load_floor (id bigserial PRIMARY KEY, k bigint NOT NULL, body text NOT NULL)")
        script = Path(work) / "insert.sql"
        script.write_text(INSERT_FLOOR)
        gateway = f"127.0.0.1:{cluster.specs['gateway'].port}"

        def both(service: str) -> list[str]:
            return ["--server-pid", str(pid["gateway"]), "--server-pid", str(pid[service])]
        plan: list[tuple[str, list[str]]] = [
            ("orders direct", ["orders/intake", "--target", cluster.address("orders")]),
            ("orders-drill direct", ["orders/intake-drill", "--target", cluster.address("orders")]),
            ("orders-drill gateway", ["orders/intake-drill", "--via", "gateway", "--target", gateway, "--token", token,
                                      *both("orders")]),
            ("customers direct", ["customers/create-search", "--target", cluster.address("customers")]),
            ("customers gateway", ["customers/create-search", "--via", "gateway", "--target", gateway,
                                   "--login", f"{SALESPERSON}:{DRILL_PASSWORD}", *both("customers")]),
            ("proposals direct", ["proposals/submit-decide", "--target", cluster.address("proposals")]),
            ("proposals gateway", ["proposals/submit-decide", "--via", "gateway", "--target", gateway,
                                   "--login", f"{SALESPERSON}:{DRILL_PASSWORD}", "--login", f"{TEAM_ADMIN}:{DRILL_PASSWORD}",
                                   *both("proposals")]),
            ("notifications direct", ["notifications/send", "--target", cluster.address("notifications")]),
            ("settlements direct", ["settlements/close", "--target", cluster.address("settlements")]),
        ]
        plan = [(name, command) for name, command in plan if wanted(name)]
        open_rate = 0
        try:
            for round_index in range(args.rounds):
                def measure(name: str, command: list[str]) -> None:
                    print(f"round {round_index + 1}, {name}: xsc-load {' '.join(command)}", file=sys.stderr)
                    report = xsc_load(*command)
                    report["loadavg_after"] = loadavg()
                    rows.append((name, "xsc-load " + " ".join(command), report))

                if wanted("echo"):
                    measure("echo floor", ["bench/loadtest/echo.json", "--target", f"127.0.0.1:{bench_port}", *closed, *timing])
                if wanted("insert"):
                    print(f"round {round_index + 1}, insert floor: pgbench -c 10", file=sys.stderr)
                    result = insert_floor(floor_url, script, args.duration, Postgres(Path(args.pgdata)))
                    rows.append(("insert floor", "pgbench -n -M prepared -c 10 -j 1 -T D -f one-insert.sql",
                                 {"operations_per_s": result["calls_per_s"], "operations": result["calls"],
                                  "latency_us": {"p50": result["p50_us"], "p90": result["p90_us"], "p99": result["p99_us"]},
                                  "statuses": {"OK": result["calls"]}, "servers": [],
                                  "pg_cpu_us_per_op": result["pg_cpu_us_per_call"], "loadavg_after": loadavg()}))
                # Odd rounds in reverse order: a machine getting busier or quieter favours no row.
                for name, command in (plan if round_index % 2 == 0 else list(reversed(plan))):
                    measure(name, [*command, *closed, *timing] + (["--skip-prepare"] if round_index else []))
                # The open loop at half the first closed-loop throughput: latency at a sustainable rate.
                direct = next((report for name, _, report in rows if name == "orders direct"), None)
                if direct and wanted("orders open"):
                    open_rate = open_rate or max(1, int(direct["operations_per_s"] / 2))
                    measure("orders open", ["orders/intake", "--target", cluster.address("orders"), "--rate", str(open_rate),
                                            "--skip-prepare", *timing])
        finally:
            bench.stop()

    print_table(rows, args, started)
    results = HERE / "results"
    results.mkdir(exist_ok=True)
    out = results / f"load-{started:%Y%m%d-%H%M%S}.json"
    out.write_text(json.dumps({"machine": machine(), "note": args.note, "args": vars(args),
                               "rows": [{"name": n, "command": c, "report": r} for n, c, r in rows]}, indent=1))
    print(f"\n(all reports: {out.relative_to(REPO)})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
