#!/usr/bin/env python3
"""Overload at 2x capacity with the native load generator (issue 16's row "overload at 2x
capacity"): xsc-orders alone with XSC_MAX_CALLS_IN_FLIGHT=16 (below its pool of 4 + 16 database
waiters, so overload is refused at admission, not in the database queue), its capacity measured
closed-loop with 16 callers (OK answers per second), then an open loop at twice that rate: the
statuses, latency percentiles, server CPU and RSS, and goodput as a share of capacity.

    eval "$(scripts/pg/start-test-postgres.sh)"; XSC_BIN_DIR=$(swift build -c release --show-bin-path) bench/overload.py
"""
import json, subprocess, sys, tempfile
from pathlib import Path
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "Tests" / "wire"))
import wire_support
from cluster_support import Cluster, ACTOR_SECRET

def load(target, *args):
    done = subprocess.run([str(wire_support.binary("xsc-load")), "orders/intake", "--target", target, *args, "--json"],
                          cwd=wire_support.REPO_ROOT, env={"PATH": "/usr/bin:/bin", "XSC_ACTOR_SECRET": ACTOR_SECRET},
                          capture_output=True, text=True, timeout=300)
    if done.returncode != 0:
        print(done.stdout, done.stderr); sys.exit(1)
    return json.loads(done.stdout)

env = {"orders": {"XSC_MAX_CALLS_IN_FLIGHT": "16", "XSC_DB_POOL_SIZE": "4", "XSC_DB_MAX_WAITERS": "16"}}
with Cluster.started(Path(tempfile.mkdtemp(prefix="xsc-overload-")), services=("orders",), env=env) as c:
    target = c.address("orders")
    cap = load(target, "--concurrency", "16", "--duration", "10", "--warmup", "2")
    capacity = cap["statuses"].get("OK", 0) / 10
    print("capacity (closed loop, 16 callers):", round(capacity), "ops/s", cap["statuses"], "p99 us", cap["latency_us"]["p99"])
    over = load(target, "--rate", str(int(2 * capacity)), "--max-in-flight", "4096", "--connections", "4",
                "--duration", "15", "--warmup", "2", "--skip-prepare")
    ok = over["statuses"].get("OK", 0)
    print(json.dumps({k: over[k] for k in ("operations", "operations_per_s", "statuses", "latency_us", "server")}, indent=1))
    goodput = ok / over.get("duration_s", 15)
    print(f"offered {2*capacity:.0f}/s: goodput {goodput:.0f}/s = {100*goodput/capacity:.0f}% of capacity")
