#!/usr/bin/env python3
"""The proposals timer benchmark (issue 12; a measurement, not a test): N open proposals whose
checkpoint deadlines all fall in the same minute, every participant missing its report, fired by
xsc-proposals replicas. Prints, per run, how many timers fired (each must fire once: one
violation and one settlements event per checkpoint) and the lag from due_at to the recorded
violation (p50/p99/max). The baseline, measured in the same invocation on the same data shape,
is one replica; the issue's figure is two replicas.

    bench/proposals_timers.sh [--count 100000] [--lead 60] [--replicas 1,2] [--skip-build]

Outbox deliveries (the violations for settlements) go to `xsc-orders-bench sink`, which answers
every unary call, so the relay's work is part of what the replicas do.
"""
from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
import uuid
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(REPO / "Tests" / "wire"))
import wire_support  # noqa: E402
from cluster_support import psql  # noqa: E402

SECRET = "proposals-bench-secret-0123456789abcdef"

SEED = """
INSERT INTO proposals (id, team_path, proposer, title, purpose, content, resources, start_at, finish_at, state,
                       created_at, updated_at, submitted_at, decided_at, decision, decided_by)
SELECT 'bp-' || i, '/hq/bench/t' || (i % 100), 'proposer-' || (i % 100), '基准提案 ' || i, 'p', 'c', 'r',
       now() - interval '1 hour', now() + interval '1 day', 'executing', now(), now(), now(), now(), 'execute', 'admin'
FROM generate_series(1, :count) AS i;
INSERT INTO proposal_participants (proposal_id, position, account_id)
SELECT 'bp-' || i, 0, 'member-' || i FROM generate_series(1, :count) AS i;
-- Due times spread over one minute starting :lead seconds from now.
INSERT INTO checkpoints (id, proposal_id, position, at, due_at)
SELECT 'bc-' || i, 'bp-' || i, 0, t.due - interval '1 minute', t.due
FROM generate_series(1, :count) AS i,
     LATERAL (SELECT now() + make_interval(secs => :lead + (i % 60000) / 1000.0) AS due) t;
INSERT INTO xsc_timers (kind, subject_id, due_at, fire_at, payload, scheduled_at)
SELECT 'proposal.checkpoint', c.id, c.due_at, c.due_at, convert_to(c.proposal_id, 'UTF8'), now() FROM checkpoints c;
"""

RESULT = """
SELECT count(*),
       coalesce(percentile_disc(0.5) WITHIN GROUP (ORDER BY lag), 0),
       coalesce(percentile_disc(0.99) WITHIN GROUP (ORDER BY lag), 0),
       coalesce(max(lag), 0),
       (SELECT count(*) FROM xsc_timers WHERE kind = 'proposal.checkpoint' AND state = 'fired' AND attempts = 1),
       (SELECT count(*) FROM xsc_timers WHERE kind = 'proposal.checkpoint' AND (state <> 'fired' OR attempts <> 1)),
       (SELECT count(*) FROM xsc_outbox WHERE method_path LIKE '%RecordProposalViolation')
FROM (SELECT (extract(epoch FROM recorded_at - due_at) * 1000)::bigint AS lag FROM violations
      WHERE rule = 'proposal_checkpoint') v
"""


def start_replica(bin_dir: Path, url: str, sink_port: int, index: int) -> wire_support.ServerProcess:
    port = wire_support.free_port()
    return wire_support.ServerProcess(f"xsc-proposals-{index}", [str(bin_dir / "xsc-proposals")], port, env={
        "XSC_LISTEN": f"127.0.0.1:{port}", "XSC_ADMIN_LISTEN": f"127.0.0.1:{wire_support.free_port()}",
        "DATABASE_URL": url, "XSC_ACTOR_SECRET": SECRET, "LOG_LEVEL": "warning",
        "XSC_MIGRATIONS_DIR": str(REPO / "services" / "proposals" / "migrations"),
        "XSC_NOTIFICATIONS_ADDR": f"127.0.0.1:{sink_port}", "XSC_SETTLEMENTS_ADDR": f"127.0.0.1:{sink_port}"}).start()


def run(superuser: str, bin_dir: Path, replicas: int, count: int, lead: int, sink_port: int) -> dict:
    name = "xsc_bench_" + uuid.uuid4().hex[:10]
    psql(superuser, f"CREATE DATABASE {name}")
    database = urlunsplit(urlsplit(superuser)._replace(path="/" + name))
    secrets = Path(os.environ.get("TMPDIR", "/tmp")) / name
    boot = wire_support.run_xsc("db-bootstrap", "--secrets-dir", str(secrets), "proposals", env={"DATABASE_URL": database})
    assert boot.returncode == 0, boot.stderr
    url = (secrets / "proposals.database-url").read_text().strip()
    # One start migrates the schema; the data goes in while no replica runs.
    start_replica(bin_dir, url, sink_port, 0).stop()
    seed = SEED.replace(":count", str(count)).replace(":lead", str(lead))
    began = time.monotonic()
    psql(url, seed)
    print(f"  seeded {count:,} proposals in {time.monotonic() - began:.1f} s", file=sys.stderr)
    processes = [start_replica(bin_dir, url, sink_port, i + 1) for i in range(replicas)]
    try:
        deadline = time.monotonic() + lead + 60 + count / 50  # a liveness bound, not a figure
        while True:
            done = int(psql(url, "SELECT count(*) FROM violations")[0][0])
            if done >= count or time.monotonic() > deadline:
                break
            time.sleep(1)
        row = [int(x) for x in psql(url, RESULT)[0]]
    finally:
        for process in processes:
            process.stop()
    return {"replicas": replicas, "violations": row[0], "p50_ms": row[1], "p99_ms": row[2], "max_ms": row[3],
            "fired_once": row[4], "not_fired_once": row[5], "events": row[6]}


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--superuser-url", default=os.environ.get("DATABASE_URL"))
    parser.add_argument("--count", type=int, default=100_000)
    parser.add_argument("--lead", type=int, default=60, help="seconds until the minute of deadlines starts")
    parser.add_argument("--replicas", default="1,2", help="runs, baseline first")
    args = parser.parse_args()
    bin_dir = wire_support.bin_dir()
    sink_port = wire_support.free_port()
    sink = wire_support.ServerProcess("outbox-sink", [str(bin_dir / "xsc-orders-bench"), "sink", "--port", str(sink_port)],
                                      sink_port).start()
    results = []
    try:
        for replicas in [int(r) for r in args.replicas.split(",")]:
            print(f"run: {replicas} replica(s), {args.count:,} checkpoint timers due within one minute", file=sys.stderr)
            results.append(run(args.superuser_url, bin_dir, replicas, args.count, args.lead, sink_port))
    finally:
        sink.stop()
    print(f"\n{'replicas':>8} {'violations':>11} {'fired once':>11} {'not once':>9} {'events':>9} "
          f"{'lag p50 ms':>11} {'p99 ms':>9} {'max ms':>9}")
    for r in results:
        print(f"{r['replicas']:>8} {r['violations']:>11,} {r['fired_once']:>11,} {r['not_fired_once']:>9,} {r['events']:>9,} "
              f"{r['p50_ms']:>11,} {r['p99_ms']:>9,} {r['max_ms']:>9,}")
    ok = all(r["violations"] == args.count and r["fired_once"] == args.count and r["events"] == args.count for r in results)
    print("\nevery timer fired once" if ok else "\nNOT every timer fired exactly once (see the columns)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
