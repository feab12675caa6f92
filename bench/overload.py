#!/usr/bin/env python3
"""Overload at 2x capacity with the native load generator (issue 16's row "overload at 2x
capacity"): xsc-orders with a small pool (XSC_DB_POOL_SIZE=4, XSC_DB_MAX_WAITERS=16) and
its default admission, which sits below what that pool plus its waiters carry (unary calls in
flight: the pool + 3/4 of the waiters = 16, so overload is refused at admission with
RESOURCE_EXHAUSTED + RetryInfo, not in the database queue), and xsc-notifications beside it,
so orders' outbox relay delivers as in a real system (without it every order's SMS prompt fails
and is retried with backoff: background work on the same small pool that grows during the run,
which a real system does not have; `--no-notifications` runs that way). Its capacity is measured closed-loop with 16
callers (OK answers per second), then an open loop at twice that rate: offered load, goodput
(OK per second, and as a share of capacity), the refusals and how fast they came (p50/p99 from
the time each call was due, and the share within 10 ms), server CPU and RSS.

    eval "$(scripts/pg/start-test-postgres.sh)"
    swift build -c release --product xsc-orders; swift build -c release --product xsc-notifications
    swift build -c release --product xsc-load; swift build -c release --product xsc
    XSC_BIN_DIR=$(swift build -c release --show-bin-path) bench/overload.py [--rounds N] [--unary-limit N] [--no-notifications]
        [--service customers|proposals|notifications]   # another service, with its xsc-load scenario

Every service gets the same admission (ServiceHost: RPC server + pool), so the same run works for
each of them with its own scenario: customers/create-search, proposals/submit-decide,
notifications/send (notifications then runs alone).
"""
import argparse, json, subprocess, sys, tempfile
from pathlib import Path
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "Tests" / "wire"))
import wire_support
from cluster_support import Cluster, ACTOR_SECRET

parser = argparse.ArgumentParser()
SCENARIOS = {"orders": "orders/intake", "customers": "customers/create-search", "proposals": "proposals/submit-decide",
             "notifications": "notifications/send"}
parser.add_argument("--service", choices=sorted(SCENARIOS), default="orders", help="the service overloaded (default orders)")
parser.add_argument("--unary-limit", help="the service's XSC_MAX_UNARY_CALLS_IN_FLIGHT (default: derived from the pool, 16; "
                    "0: none, the state before)")
parser.add_argument("--no-notifications", action="store_true", help="orders alone (its relay's deliveries fail)")
parser.add_argument("--seconds", type=int, default=15, help="length of the overload phase")
parser.add_argument("--rounds", type=int, default=1, help="capacity / overload / capacity rounds (default 1)")
parser.add_argument("--verbose", action="store_true", help="print xsc-load's JSON of each overload phase")
args = parser.parse_args()


def load(target, *extra):
    done = subprocess.run([str(wire_support.binary("xsc-load")), SCENARIOS[args.service], "--target", target, *extra, "--json"],
                          cwd=wire_support.REPO_ROOT, env={"PATH": "/usr/bin:/bin", "XSC_ACTOR_SECRET": ACTOR_SECRET},
                          capture_output=True, text=True, timeout=300)
    if done.returncode != 0:
        print(done.stdout, done.stderr); sys.exit(1)
    return json.loads(done.stdout)


env = {args.service: {"XSC_DB_POOL_SIZE": "4", "XSC_DB_MAX_WAITERS": "16",
                      **({"XSC_MAX_UNARY_CALLS_IN_FLIGHT": args.unary_limit} if args.unary_limit else {})}}
limit = args.unary_limit or "auto: 4 + 16 * 3/4 = 16"
# notifications beside the service, so its outbox delivers as in a real system.
services = (args.service,) if args.no_notifications or args.service == "notifications" else (args.service, "notifications")
def capacity_run(target):
    cap = load(target, "--concurrency", "16", "--duration", "10", "--warmup", "2")
    return cap["statuses"].get("OK", 0) / 10, cap


def answered_calls_per_s(run, seconds):
    """Calls answered OK per second: for a scenario of several calls per operation (proposals:
    create, submit, decide) a refusal of a later call wastes the earlier ones' work, so whole
    operations understate what the service kept serving; both figures are printed."""
    return run.get("rpc_calls_answered", 0) / seconds


with Cluster.started(Path(tempfile.mkdtemp(prefix="xsc-overload-")), services=services, env=env) as c:
    target = c.address(args.service)
    ratios = []
    call_ratios = []
    for round_number in range(1, args.rounds + 1):
        # Capacity before and after each overload phase, their mean the baseline: on a machine
        # shared with other work the database's share of the CPU drifts within seconds.
        before, cap = capacity_run(target)
        print(f"round {round_number}: capacity (closed loop, 16 callers, unary calls in flight {limit}, pool 4 + 16 "
              f"waiters{'' if args.no_notifications else ', notifications running'}): {before:.0f} operations/s ({args.service}) "
              f"{cap['statuses']}, p99 {cap['latency_us']['p99'] / 1000:.1f} ms, server {cap['server']['cpu_cores']:.2f} "
              f"cores, RSS {cap['server']['rss_max_mib']:.1f} MiB; load average {cap['machine']['loadavg']}")
        over = load(target, "--rate", str(int(2 * before)), "--max-in-flight", "4096", "--connections", "4",
                    "--duration", str(args.seconds), "--warmup", "2", "--skip-prepare")
        after, cap_after = capacity_run(target)
        capacity = (before + after) / 2
        call_capacity = (answered_calls_per_s(cap, 10) + answered_calls_per_s(cap_after, 10)) / 2
        call_goodput = answered_calls_per_s(over, over.get("duration_s", args.seconds))
        if call_capacity:
            call_ratios.append(call_goodput / call_capacity)
        ok = over["statuses"].get("OK", 0)
        refused = over["refusal_latency_us"]
        goodput = ok / over.get("duration_s", args.seconds)
        if args.verbose:
            print(json.dumps({k: over[k] for k in ("operations", "operations_per_s", "statuses", "latency_us",
                                                    "refusal_latency_us", "late_sends", "server", "machine")}, indent=1))
        within = 100 * refused.get("within_10ms", 0) / refused["count"] if refused["count"] else float("nan")
        ratios.append(goodput / capacity)
        print(f"round {round_number}: offered {over['operations_per_s']:.0f}/s (2x {before:.0f}/s); capacity {before:.0f} "
              f"before, {after:.0f} after; goodput {goodput:.0f}/s = {100 * goodput / capacity:.0f}% of their mean; "
              f"RESOURCE_EXHAUSTED {refused['count']:,}: p50 {refused.get('p50', 0) / 1000:.2f} ms, p99 "
              f"{refused.get('p99', 0) / 1000:.2f} ms, {within:.1f}% within 10 ms; other statuses "
              f"{({k: v for k, v in over['statuses'].items() if k not in ('OK', 'RESOURCE_EXHAUSTED')}) or 'none'}; "
              f"answered p50 {over['latency_us']['p50'] / 1000:.1f} ms; server {over['server']['cpu_cores']:.2f} cores, "
              f"RSS max {over['server']['rss_max_mib']:.1f} MiB")
        if call_capacity:
            print(f"round {round_number}: calls answered OK {call_goodput:.0f}/s = {100 * call_goodput / call_capacity:.0f}% "
                  f"of the capacity's {call_capacity:.0f} calls/s")
    ratios.sort()
    call_ratios.sort()
    print(f"goodput / capacity over {len(ratios)} round(s): median {100 * ratios[len(ratios) // 2]:.0f}% "
          f"(each: {', '.join(f'{100 * r:.0f}%' for r in ratios)})")
    if call_ratios:
        print(f"calls answered / call capacity over {len(call_ratios)} round(s): median "
              f"{100 * call_ratios[len(call_ratios) // 2]:.0f}% (each: {', '.join(f'{100 * r:.0f}%' for r in call_ratios)})")
