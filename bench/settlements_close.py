#!/usr/bin/env python3
"""Settlements close benchmark (issue 13). Not a test: it prints figures and never fails on a
slow one.

One fresh database and one xsc-settlements process (cluster_support, as the wire tests start
it). It loads one business week of N visited-order lines (default 1,000,000) for P payees
(default 50,000; 50 paying dealers, each payee paid by one), then in the same run:

  floor  the same aggregation as one `INSERT ... SELECT ... GROUP BY` in psql on the same rows
         (the database's own floor for "one row per dealer and payee with its sum and count");
  close  CloseWeek through gRPC: the service's real close (carry-forward lines, the week's
         statements from the running (week, dealer, payee) totals the database keeps as lines
         are booked, the total = sum check, balances). The aggregation itself happened a line at
         a time while loading: the load time printed includes it.

and renders a 500-line statement PDF through ExportStatement.

Usage: DATABASE_URL=postgresql://superuser@... XSC_BIN_DIR=$(swift build -c release --show-bin-path) \\
           python3 bench/settlements_close.py [--lines 1000000] [--payees 50000]
"""
from __future__ import annotations

import argparse
import base64
import re
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "Tests" / "wire"))

from cluster_support import ACTOR_SECRET, Cluster, psql  # noqa: E402
import wire_support  # noqa: E402

SHANGHAI = ZoneInfo("Asia/Shanghai")


def minted(account: str, role: str, team: str = "/") -> list:
    # For settlements only: an actor carries the service it is for.
    out = wire_support.run_xsc("mint-actor", "--audience", "settlements", "--account", account, "--role", role, "--team", team, "--plain",
                               env={"XSC_ACTOR_SECRET": ACTOR_SECRET})
    assert out.returncode == 0, out.stderr
    pairs = [line.split(": ", 1) for line in out.stdout.splitlines()]
    return [(name, base64.b64decode(value) if name.endswith("-bin") else value) for name, value in pairs]


def week(offset_weeks: int) -> tuple[int, str]:
    local = datetime.now(SHANGHAI)
    monday = (local - timedelta(days=local.weekday())).replace(hour=0, minute=0, second=0, microsecond=0)
    start = monday + timedelta(weeks=offset_weeks)
    year, number, _ = start.isocalendar()
    return int(start.timestamp() * 1000), f"{year}-W{number:02d}"


LOAD = """
INSERT INTO reward_lines (id, kind, level, order_id, order_code, event_id, region_id, dealer_account_id,
    payee_account_id, sales_fen, amount_fen, rule_version, occurred_at, period_start, created_at)
SELECT md5(:'p4' || i), 'reward', 1, :'p4' || i, 'B' || i, :'p4' || i, 'cq', 'dealer-' || (i % 50),
    :'p5' || (i % :'p3'::int), 10000 + i % 97, 300 + i % 13, 1,
    to_timestamp(:'p1'::bigint / 1000.0) + (i % 600000) * interval '1 second', to_timestamp(:'p1'::bigint / 1000.0), now()
FROM generate_series(1, :'p2'::int) AS i
"""

FLOOR = """
\\timing on
CREATE UNLOGGED TABLE IF NOT EXISTS bench_floor (dealer text, payee text, total bigint, lines bigint);
INSERT INTO bench_floor
SELECT dealer_account_id, payee_account_id, sum(amount_fen), count(*) FROM reward_lines
WHERE period_start = to_timestamp(:'p1'::bigint / 1000.0)
GROUP BY dealer_account_id, payee_account_id;
"""


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--payees", type=int, default=50_000)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as work, Cluster.started(Path(work), services=("settlements",)) as cluster:
        url = cluster.database_urls["settlements"]
        pb = cluster.stubs.settlements
        stub = cluster.stubs.settlements_grpc.SettlementServiceStub(cluster.channel("settlements"))
        system = minted("svc-bench", "system")

        start, name = week(30)
        began = time.perf_counter()
        psql(url, LOAD, str(start), str(args.lines), str(args.payees), "bulk-", "payee-")
        psql(url, "ANALYZE reward_lines")
        load_s = time.perf_counter() - began

        # The floor first, on the same (still open) rows: one INSERT ... SELECT ... GROUP BY.
        floor_out = psql(url, FLOOR, str(start))
        floor_ms = sum(float(m) for m in re.findall(r"Time: ([0-9.]+) ms", "\n".join("|".join(r) for r in floor_out))
                       if m) or float("nan")
        floor_rows = psql(url, "SELECT count(*) FROM bench_floor")[0][0]

        began = time.perf_counter()
        closed = stub.CloseWeek(pb.CloseWeekRequest(week=name, before_end=True), metadata=system, timeout=3600)
        close_ms = (time.perf_counter() - began) * 1000
        check = psql(url, """SELECT count(*) FROM statements s WHERE s.week_name = :'p1' AND s.total_fen <>
                             (SELECT sum(amount_fen) FROM reward_lines l WHERE l.period_start = s.period_start
                              AND l.dealer_account_id = s.dealer_account_id AND l.payee_account_id = s.payee_account_id)""",
                          name)[0][0]

        # A 500-line statement as PDF.
        pdf_start, pdf_week = week(31)
        psql(url, LOAD.replace("(i % :'p3'::int)", "''"), str(pdf_start), "500", "1", "pdf-", "payee-pdf")
        stub.CloseWeek(pb.CloseWeekRequest(week=pdf_week, before_end=True), metadata=system, timeout=600)
        statement_id = psql(url, "SELECT id FROM statements WHERE week_name = :'p1'", pdf_week)[0][0]
        dealer = psql(url, "SELECT dealer_account_id FROM statements WHERE id = :'p1'", statement_id)[0][0]
        reader = minted(dealer, "staff", "/hq/cq/cq-o1")
        began = time.perf_counter()
        exported = stub.ExportStatement(pb.ExportStatementRequest(statement_id=statement_id, format=pb.EXPORT_FORMAT_PDF),
                                        metadata=reader, timeout=600)
        pdf_ms = (time.perf_counter() - began) * 1000

        print(f"settlements close benchmark: {args.lines:,} lines, {args.payees:,} payees, 50 dealers "
              f"(loaded in {load_s:.1f} s)")
        print(f"  floor  INSERT ... SELECT ... GROUP BY in psql : {floor_ms:10.0f} ms  ({floor_rows} rows)")
        print(f"  close  CloseWeek (the service)                : {close_ms:10.0f} ms  ({closed.statements} statements, "
              f"total != sum of lines: {check})")
        print(f"  ratio  close / floor                          : {close_ms / floor_ms:10.2f}x  (target <= 2x)")
        print(f"  pdf    500-line statement, ExportStatement    : {pdf_ms:10.0f} ms  ({len(exported.content):,} bytes)")


if __name__ == "__main__":
    main()
