#!/usr/bin/env python3
"""Overload at 2x capacity with the native load generator (issue 16's row "overload at 2x
capacity"): xsc-orders with a small pool (XSC_DB_POOL_SIZE=4, XSC_DB_MAX_WAITERS=16) and
admission below what that pool plus its waiters carry (XSC_MAX_CALLS_IN_FLIGHT=16, so
overload is refused at admission with RESOURCE_EXHAUSTED + RetryInfo, not in the database
queue), and xsc-notifications beside it so orders' outbox relay delivers as in a real system
(without it every order's SMS prompt fails and is retried, a background load that grows during
the run and made the later phase look slower). Its capacity is measured closed-loop with 16
callers (OK answers per second), then an open loop at twice that rate: offered load, goodput
(OK per second, and as a share of capacity), the refusals and how fast they came (p50/p99 from
the time each call was due, and the share within 10 ms), server CPU and RSS.

    eval "$(scripts/pg/start-test-postgres.sh)"
    swift build -c release --product xsc-orders; swift build -c release --product xsc-notifications
    swift build -c release --product xsc-load; swift build -c release --product xsc
    XSC_BIN_DIR=$(swift build -c release --show-bin-path) bench/overload.py [--in-flight N] [--no-notifications]
"""
import argparse, json, subprocess, sys, tempfile
from pathlib import Path
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "Tests" / "wire"))
import wire_support
from cluster_support import Cluster, ACTOR_SECRET

parser = argparse.ArgumentParser()
parser.add_argument("--in-flight", default="16", help="orders' XSC_MAX_CALLS_IN_FLIGHT (default 16)")
parser.add_argument("--no-notifications", action="store_true", help="orders alone (its relay's deliveries fail)")
parser.add_argument("--seconds", type=int, default=15, help="length of the overload phase")
args = parser.parse_args()


def load(target, *extra):
    done = subprocess.run([str(wire_support.binary("xsc-load")), "orders/intake", "--target", target, *extra, "--json"],
                          cwd=wire_support.REPO_ROOT, env={"PATH": "/usr/bin:/bin", "XSC_ACTOR_SECRET": ACTOR_SECRET},
                          capture_output=True, text=True, timeout=300)
    if done.returncode != 0:
        print(done.stdout, done.stderr); sys.exit(1)
    return json.loads(done.stdout)


env = {"orders": {"XSC_MAX_CALLS_IN_FLIGHT": args.in_flight, "XSC_DB_POOL_SIZE": "4", "XSC_DB_MAX_WAITERS": "16"}}
services = ("orders",) if args.no_notifications else ("orders", "notifications")
with Cluster.started(Path(tempfile.mkdtemp(prefix="xsc-overload-")), services=services, env=env) as c:
    target = c.address("orders")
    cap = load(target, "--concurrency", "16", "--duration", "10", "--warmup", "2")
    capacity = cap["statuses"].get("OK", 0) / 10
    print(f"capacity (closed loop, 16 callers, XSC_MAX_CALLS_IN_FLIGHT={args.in_flight}, pool 4 + 16 waiters"
          f"{'' if args.no_notifications else ', notifications running'}): {capacity:.0f} orders/s {cap['statuses']}, "
          f"p99 {cap['latency_us']['p99'] / 1000:.1f} ms, server {cap['server']['cpu_cores']:.2f} cores, "
          f"RSS {cap['server']['rss_max_mib']:.1f} MiB; load average {cap['machine']['loadavg']}")
    over = load(target, "--rate", str(int(2 * capacity)), "--max-in-flight", "4096", "--connections", "4",
                "--duration", str(args.seconds), "--warmup", "2", "--skip-prepare")
    ok = over["statuses"].get("OK", 0)
    refused = over["refusal_latency_us"]
    goodput = ok / over.get("duration_s", args.seconds)
    print(json.dumps({k: over[k] for k in ("operations", "operations_per_s", "statuses", "latency_us",
                                            "refusal_latency_us", "late_sends", "server", "machine")}, indent=1))
    within = 100 * refused.get("within_10ms", 0) / refused["count"] if refused["count"] else float("nan")
    print(f"offered {over['operations_per_s']:.0f}/s (2x capacity {capacity:.0f}/s): goodput {goodput:.0f}/s = "
          f"{100 * goodput / capacity:.0f}% of capacity; RESOURCE_EXHAUSTED {refused['count']:,}: p50 "
          f"{refused.get('p50', 0) / 1000:.2f} ms, p99 {refused.get('p99', 0) / 1000:.2f} ms, {within:.1f}% within 10 ms; "
          f"other statuses {({k: v for k, v in over['statuses'].items() if k not in ('OK', 'RESOURCE_EXHAUSTED')}) or 'none'}; "
          f"server {over['server']['cpu_cores']:.2f} cores, RSS max {over['server']['rss_max_mib']:.1f} MiB")
