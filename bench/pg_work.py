"""PostgreSQL's work per order, counted rather than timed (bench/orders.sh --pg-stats).

On a shared machine wall-clock throughput is noise; what PostgreSQL *did* is not: statements
executed, rows, buffer pages hit and dirtied, WAL records and bytes (pg_stat_statements, the
server's WAL counters) and row versions written, HOT or not (pg_stat_user_tables). Each
measured row of the benchmark is framed so its counters hold only its own work:

  wait until every outbox row is delivered and the backends flushed their statistics,
  reset the counters, run the row, wait for its outbox rows to be delivered and flushed, read.

Everything is divided by the orders the row inserted (n_tup_ins of the `orders` table), so a
row's figures include the outbox relay's delivery of that row's messages (claim and mark, or
the hand-over's mark), the timer and idempotency writes, and autovacuum's WAL in the window.
Needs the server started with shared_preload_libraries = pg_stat_statements (orders.sh does)."""
from __future__ import annotations

import subprocess
import time

# Marks this module's own queries, so the per-statement table leaves them out.
MARK = "/* orders-bench pg-work */"
# A backend flushes its table and WAL counters when idle at most every 10 s (PostgreSQL 15,
# PGSTAT_IDLE_INTERVAL); waiting longer than that makes the counters complete.
FLUSH_WAIT_S = 11.0


def psql_rows(url: str, sql: str) -> list[list[str]]:
    result = subprocess.run(["psql", "-X", "-q", "-A", "-t", "-F", "\t", "-d", url, "-c", f"{MARK} {sql}"],
                            capture_output=True, text=True, timeout=120)
    if result.returncode != 0:
        raise RuntimeError(f"psql failed: {result.stderr}")
    return [line.split("\t") for line in result.stdout.splitlines() if line]


class PgWork:
    def __init__(self, url: str, drain_timeout_s: float = 300.0):
        self.url = url
        self.drain_timeout_s = drain_timeout_s
        psql_rows(url, "CREATE EXTENSION IF NOT EXISTS pg_stat_statements")

    def pending(self) -> int:
        """Orders' outbox rows not yet delivered. (Only orders': the gateway's directory feed
        goes to services the benchmark does not run, so its rows stay pending, retried.)"""
        return int(psql_rows(self.url, "SELECT count(*) FROM orders.xsc_outbox WHERE state = 'pending'")[0][0])

    def settle(self) -> float:
        """Waits for the outbox to drain, then for the statistics to be flushed; returns the
        seconds the drain took (a figure in itself: how far delivery lagged the orders)."""
        began = time.monotonic()
        while self.pending() > 0:
            if time.monotonic() - began > self.drain_timeout_s:
                break
            time.sleep(0.5)
        drained = time.monotonic() - began
        time.sleep(FLUSH_WAIT_S)
        return drained

    def reset(self) -> None:
        self.settle()
        psql_rows(self.url, "SELECT pg_stat_statements_reset(), pg_stat_reset(), pg_stat_reset_shared('wal')")

    def collect(self) -> dict:
        drain_s = self.settle()
        left = self.pending()
        tables = {}
        for name, ins, upd, hot, dele in psql_rows(self.url, """
                SELECT schemaname || '.' || relname, n_tup_ins, n_tup_upd, n_tup_hot_upd, n_tup_del
                FROM pg_stat_user_tables WHERE n_tup_ins + n_tup_upd + n_tup_del > 0"""):
            tables[name] = {"ins": int(ins), "upd": int(upd), "hot_upd": int(hot), "del": int(dele)}
        orders = sum(t["ins"] for name, t in tables.items() if name.endswith(".orders"))
        statements = []
        for row in psql_rows(self.url, f"""
                SELECT calls, rows, shared_blks_hit + shared_blks_read, shared_blks_dirtied, wal_records, wal_fpi,
                       wal_bytes, total_exec_time, regexp_replace(query, '\\s+', ' ', 'g')
                FROM pg_stat_statements WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database())
                  AND query NOT LIKE '%orders-bench pg-work%'
                ORDER BY wal_bytes DESC, calls DESC"""):
            calls, rows, blocks, dirtied, records, fpi, wal_bytes, exec_ms, query = row
            statements.append({"calls": int(calls), "rows": int(rows), "blocks": int(blocks), "dirtied": int(dirtied),
                               "wal_records": int(records), "wal_fpi": int(fpi), "wal_bytes": int(wal_bytes),
                               "exec_ms": float(exec_ms), "query": query})
        records, fpi, wal_bytes = (int(v) for v in psql_rows(self.url, "SELECT wal_records, wal_fpi, wal_bytes FROM pg_stat_wal")[0])
        return {"orders": orders, "drain_s": round(drain_s, 1), "outbox_left": left, "tables": tables,
                "statements": statements, "wal": {"records": records, "fpi": fpi, "bytes": wal_bytes}}


def per_order(work: dict) -> dict:
    """The totals of one row divided by its orders."""
    n = max(1, work["orders"])
    s = work["statements"]
    return {
        "orders": work["orders"],
        "statements": sum(x["calls"] for x in s) / n,
        "blocks": sum(x["blocks"] for x in s) / n,
        "dirtied": sum(x["dirtied"] for x in s) / n,
        "stmt_wal_bytes": sum(x["wal_bytes"] for x in s) / n,
        "wal_records": work["wal"]["records"] / n,
        "wal_bytes": work["wal"]["bytes"] / n,
        "exec_us": sum(x["exec_ms"] for x in s) * 1000 / n,
        "drain_s": work["drain_s"],
        "outbox_left": work["outbox_left"],
    }


def print_report(rows: dict[str, dict]) -> None:
    """Per row: the summary per order, then its statements and tables per order."""
    print("\nPostgreSQL's work per order (counted: pg_stat_statements, pg_stat_wal, pg_stat_user_tables; "
          "medians are not taken, each round is shown)")
    print("\n| run | orders | statements | blocks hit+read | blocks dirtied | WAL records | WAL bytes | "
          "statement WAL bytes | exec us (sum) | outbox drain s |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for label, works in rows.items():
        for work in works:
            p = per_order(work)
            print(f"| {label} | {p['orders']:,} | {p['statements']:.2f} | {p['blocks']:.1f} | {p['dirtied']:.2f} | "
                  f"{p['wal_records']:.1f} | {p['wal_bytes']:,.0f} | {p['stmt_wal_bytes']:,.0f} | {p['exec_us']:.0f} | "
                  f"{p['drain_s']}{'' if not p['outbox_left'] else ' (' + str(p['outbox_left']) + ' left)'} |")
    for label, works in rows.items():
        work = works[-1]
        n = max(1, work["orders"])
        print(f"\n{label} (last round), per order:")
        print("| calls | rows | blocks | dirtied | WAL rec | WAL bytes | exec us | statement |")
        print("|---|---|---|---|---|---|---|---|")
        for x in work["statements"]:
            if x["calls"] / n < 0.001:
                continue
            print(f"| {x['calls'] / n:.3f} | {x['rows'] / n:.2f} | {x['blocks'] / n:.1f} | {x['dirtied'] / n:.2f} | "
                  f"{x['wal_records'] / n:.2f} | {x['wal_bytes'] / n:,.0f} | {x['exec_ms'] * 1000 / n:.1f} | "
                  f"{x['query'][:110]} |")
        print("| table | ins | upd | of which HOT | del |")
        print("|---|---|---|---|---|")
        for name, t in sorted(work["tables"].items()):
            print(f"| {name} | {t['ins'] / n:.2f} | {t['upd'] / n:.2f} | {t['hot_upd'] / n:.2f} | {t['del'] / n:.2f} |")
