#!/usr/bin/env python3
"""Campaigns benchmark (issue 17). Not a test: it prints figures and never fails on a slow one.

One fresh database and the real processes (cluster_support: gateway, orders, notifications,
campaigns; orders_world's organisation). One campaign with a deadline a little ahead:

  fill     N participants (default 100,000) inserted straight into the campaigns schema as joins
           would have written them (so the close has N to work through), timed as the baseline:
           the database's floor for those writes.
  rush     JoinCampaign through the gateway from T threads for S seconds just before the deadline
           (each a real join: stock, per-person count, pickup code, idempotency key): joins/s.
  close    from the deadline: the decision (campaign succeeded), every participation released
           (state ordered, PlaceCampaignOrder + SMS queued, 500 per round), and every order
           placed in the order area (normal routing: office lead prompted, acknowledgement
           deadline started). Printed: seconds to each and orders placed per second.

Usage: DATABASE_URL=postgresql://superuser@... XSC_BIN_DIR=$(swift build -c release --show-bin-path) \\
           python3 bench/campaigns.py [--participants 100000] [--rush-seconds 10] [--rush-threads 32]
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "Tests" / "wire"))

from cluster_support import Cluster, psql  # noqa: E402
from orders_world import World  # noqa: E402

T = 60


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--participants", type=int, default=100_000)
    parser.add_argument("--rush-seconds", type=float, default=10.0)
    parser.add_argument("--rush-threads", type=int, default=32)
    parser.add_argument("--fill-seconds", type=float, default=60.0, help="time allowed for loading the participants")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="xsc-campaigns-bench."))
    env = {"notifications": {"XSC_SMS_QUIET_HOURS": "off"}, "campaigns": {"XSC_DB_POOL_SIZE": "20"},
           "orders": {"XSC_DB_POOL_SIZE": "20"}}
    with Cluster.started(work, services=("gateway", "orders", "notifications", "campaigns"), env=env) as cluster:
        world = World(cluster).build()
        ids = sorted(p.id for p in world.people.values())
        deadline = time.time() + 60
        while int(cluster.query("campaigns", "SELECT count(*) FROM xsc_directory WHERE account_id = ANY(string_to_array(:'p1', ','))",
                                ",".join(ids))[0][0]) < len(ids):
            if time.time() > deadline:
                raise SystemExit("the directory never reached campaigns")
            time.sleep(0.2)
        pb = cluster.stubs.campaigns
        stub = cluster.stubs.campaigns_grpc.CampaignServiceStub(cluster.gateway_channel())
        setup_s = args.fill_seconds + args.rush_seconds + 2
        campaign = pb.Campaign(
            title="压测团购", leader_account_id=world.id("referrer"),
            products=[pb.CampaignProduct(sku_id="bj-500", name="52度 500ml", campaign_price_fen=11800)],
            pickup_points=[pb.PickupPoint(pickup_point_id="p1", name="幸福小区便利店", address="渝中区幸福路1号", district_id="cq-o1-d3",
                                          dealer_account_id=world.id("cq_dealer"), hours="每天 9:00-18:00", contact_phone="13800138000")],
            deadline_ms=int((time.time() + setup_s) * 1000), min_quantity=1)
        made = stub.CreateCampaign(pb.CreateCampaignRequest(campaign=campaign), metadata=world.who("cq_team_admin"), timeout=T).campaign
        deadline_s = made.deadline_ms / 1000

        # --- fill: the participants that joined earlier, straight into the schema ---
        url = cluster.database_urls["campaigns"]
        rest = args.participants
        t0 = time.time()
        psql(url, f"""
            BEGIN;
            INSERT INTO participations (id, campaign_id, customer_name, customer_phone, pickup_point_id, total_fen, pickup_code,
                                        submitted_by, joined_at)
            SELECT 'bench-' || g, :'p1', '邻居' || g, '139' || lpad(g::text, 8, '0'), 'p1', 11800, lpad((50000000 + g)::text, 8, '0'),
                   'bench', now() FROM generate_series(1, {rest}) g
            ON CONFLICT (campaign_id, pickup_code) DO NOTHING;
            INSERT INTO participation_lines (participation_id, sku_id, quantity, unit_price_fen)
            SELECT id, 'bj-500', 1, 11800 FROM participations WHERE campaign_id = :'p1' AND submitted_by = 'bench';
            UPDATE campaign_products SET reserved = reserved
                + (SELECT count(*) FROM participations WHERE campaign_id = :'p1' AND submitted_by = 'bench') WHERE campaign_id = :'p1';
            COMMIT;""", made.id)
        fill_s = time.time() - t0
        print(f"baseline: {rest} participations with their lines by one psql INSERT ... SELECT in {fill_s:.1f}s "
              f"({rest / max(fill_s, 1e-9):.0f} rows/s, the database's floor for the same writes)")
        if time.time() > deadline_s - args.rush_seconds - 2:
            print("warning: the fill ran into the rush window; raise --fill-seconds")
        # --- rush: joins through the gateway until shortly before the deadline ---
        rush_start = max(time.time(), deadline_s - args.rush_seconds - 2)
        time.sleep(max(0.0, rush_start - time.time()))
        stop_at = min(rush_start + args.rush_seconds, deadline_s - 1)
        counts = [0] * args.rush_threads
        errors = [0] * args.rush_threads

        def rush(worker: int) -> None:
            metadata = world.who("referrer")
            n = 0
            while time.time() < stop_at:
                n += 1
                request = pb.JoinCampaignRequest(campaign_id=made.id, customer_name="邻居", customer_phone="1%02d%08d" % (30 + worker % 60, n),
                                                 pickup_point_id="p1", lines=[pb.JoinLine(sku_id="bj-500", quantity=1)])
                try:
                    stub.JoinCampaign(request, metadata=metadata + [("idempotency-key", uuid.uuid4().hex)], timeout=T)
                    counts[worker] += 1
                except Exception:  # noqa: BLE001 - counted, not fatal
                    errors[worker] += 1
        threads = [threading.Thread(target=rush, args=(i,)) for i in range(args.rush_threads)]
        began = time.time()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        rush_elapsed = time.time() - began
        joined = sum(counts)
        print(f"rush: {joined} joins in {rush_elapsed:.1f}s from {args.rush_threads} threads through the gateway: "
              f"{joined / rush_elapsed:.0f} joins/s ({sum(errors)} refused or failed)")

        total = int(psql(url, "SELECT count(*) FROM participations WHERE campaign_id = :'p1'", made.id)[0][0])

        # --- close ---
        def poll(what: str, probe, limit_s: float = 3600) -> float:
            while not probe():
                if time.time() - deadline_s > limit_s:
                    raise SystemExit(f"never happened: {what}")
                time.sleep(0.2)
            return time.time() - deadline_s
        decided = poll("decision", lambda: psql(url, "SELECT state FROM campaigns WHERE id = :'p1'", made.id)[0][0] == "succeeded")
        released = poll("release", lambda: psql(url, "SELECT count(*) FROM participations WHERE campaign_id = :'p1' AND state = 'joined'",
                                                made.id)[0][0] == "0")
        orders_url = cluster.database_urls["orders"]
        placed = poll("orders placed", lambda: int(psql(orders_url, "SELECT count(*) FROM orders WHERE partner_id = 'svc-campaigns'")[0][0]) >= total)
        print(f"close of {total} participants: decided {decided:.1f}s after the deadline, all released (ordered, "
              f"order + SMS queued) at {released:.1f}s, all {total} orders placed in the order area at {placed:.1f}s "
              f"({total / max(placed - released, 1e-9):.0f} orders/s after release)")


if __name__ == "__main__":
    main()
