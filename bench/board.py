"""The board benchmark (issue 20; a measurement, not a test): the staff pages' weight and first
load on loopback, and the latency from an order's submission to its row on the board, p50/p99
over 200 orders, both as the page in headless Chromium shows it and as the same server-sent-event
stream (`/v1/staff/board/watch`) read by a plain HTTP client. Baselines measured in the same run:
the submission's own round trip (what the partner waits for), and an empty page's load in the
same browser (the browser's own cost).

    XSC_BIN_DIR=$(swift build --show-bin-path) DATABASE_URL=postgresql://... python3 bench/board.py [--orders 200]

DATABASE_URL is a superuser URL (scripts/pg/start-test-postgres.sh); the system is the wire
tests' Cluster (gateway, orders, notifications on a fresh database, the drill seeded)."""
from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "Tests" / "wire"))
import requests  # noqa: E402

import browser_support  # noqa: E402
from cluster_support import DRILL_PASSWORD, Cluster  # noqa: E402

CS = "13900000002"
PAGES = {"login": ["/app/", "/app/app.css", "/app/app.js", "/app/login.js"],
         "board": ["/app/board.html", "/app/app.css", "/app/app.js", "/app/board.js"],
         "lead": ["/app/lead.html", "/app/app.css", "/app/app.js", "/app/lead.js"]}


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def summary(values: list[float]) -> str:
    return (f"p50 {percentile(values, 50):7.1f} ms  p99 {percentile(values, 99):7.1f} ms  "
            f"max {max(values):7.1f} ms  mean {statistics.fmean(values):7.1f} ms  (n={len(values)})")


def page_weight(base: str) -> None:
    print("page weight (bytes on the wire, uncompressed; every file of the page):")
    for page, paths in PAGES.items():
        sizes = [len(requests.get(base + path, timeout=30).content) for path in paths]
        print(f"  {page:6s} {sum(sizes):7d} B  (" + ", ".join(f"{p.rsplit('/', 1)[-1] or 'index.html'} {s}" for p, s in zip(paths, sizes)) + ")")


# Navigation Timing 2: from the navigation's start to the end of its load event (WebDriver's get
# returns after the load event, so the entry is complete).
LOAD_MS = "const n = performance.getEntriesByType('navigation')[0]; return n.loadEventEnd - n.startTime"


def first_loads(base: str, token: str, rounds: int) -> None:
    """Cold loads (cache off) in Chromium: navigation to load event, and to the board's first
    snapshot on screen; the baseline is a tiny page of the same origin (the 404 page)."""
    browser = browser_support.new_browser()
    try:
        browser.execute_cdp_cmd("Network.enable", {})
        browser.execute_cdp_cmd("Network.setCacheDisabled", {"cacheDisabled": True})
        browser.get(base + "/app/")
        browser.execute_script("sessionStorage.setItem('xsc.session', arguments[0])", token)
        empty, loaded, shown = [], [], []
        for _ in range(rounds):
            browser.get(base + "/app/no-such-page")
            empty.append(browser.execute_script(LOAD_MS))
            browser.get(base + "/app/board.html")
            loaded.append(browser.execute_script(LOAD_MS))
            while not browser.execute_script("return document.body.dataset.snapshots"):
                time.sleep(0.005)
            shown.append(browser.execute_script("return performance.now()"))
        print(f"first load in headless Chromium, cache disabled, {rounds} rounds:")
        print(f"  baseline: an empty page (404) of the same origin, navigation to load: {summary(empty)}")
        print(f"  the board page, navigation to load event:                    {summary(loaded)}")
        print(f"  the board page, navigation to the first snapshot on screen:  {summary(shown)}")
    finally:
        browser.quit()


def stream_reader(base: str, token: str, seen: dict[str, float], ready: threading.Event, stop: threading.Event) -> None:
    """Reads the board's stream as the page does; records when each order first arrives."""
    with requests.get(base + "/v1/staff/board/watch", headers={"Authorization": "Bearer " + token}, stream=True, timeout=600) as answer:
        data = []
        for line in answer.iter_lines(chunk_size=1, decode_unicode=True):
            if stop.is_set():
                return
            if line.startswith("data:"):
                data.append(line[5:].lstrip())
            elif line == "" and data:
                update = json.loads("\n".join(data))
                now = time.time()
                data = []
                if update.get("snapshot"):
                    ready.set()
                for row in update.get("rows", []):
                    seen.setdefault(row["orderId"], now)


def submission_latency(cluster: Cluster, key: str, token: str, orders: int, interval_s: float) -> None:
    base = cluster.http_url()
    browser = browser_support.new_browser()
    stop, ready = threading.Event(), threading.Event()
    stream_seen: dict[str, float] = {}
    reader = threading.Thread(target=stream_reader, args=(base, token, stream_seen, ready, stop), daemon=True)
    reader.start()
    try:
        browser.get(base + "/app/")
        browser.execute_script("sessionStorage.setItem('xsc.session', arguments[0])", token)
        browser.get(base + "/app/board.html")
        while not browser.execute_script("return document.body.dataset.snapshots"):
            time.sleep(0.01)
        # The page's own moment a row appears: a MutationObserver on the board (Date.now, the
        # same wall clock as this process's time.time on this machine).
        browser.execute_script("""
            window.__seen = {};
            new MutationObserver(() => {
              const now = Date.now();
              for (const row of document.querySelectorAll('#lane-BOARD_LANE_WAITING [data-order-id]')) {
                if (!(row.dataset.orderId in window.__seen)) window.__seen[row.dataset.orderId] = now;
              }
            }).observe(document.querySelector('.lanes'), {childList: true, subtree: true});""")
        ready.wait(60)
        submitted: dict[str, float] = {}
        round_trips: list[float] = []
        session = requests.Session()
        for n in range(orders):
            external_id = "bench-" + uuid.uuid4().hex[:10]
            body = {"source": "SOURCE_MALL", "externalId": external_id, "deliveryDistrictId": "cq-o1-d3",
                    "customer": {"name": f"顾客 {n}", "phone": "13700000009", "address": "重庆市渝中区解放碑 9 号"},
                    "lines": [{"skuId": "drill-baijiu-500ml", "quantity": 1, "unitPriceFen": "52800"}]}
            started = time.time()
            answer = session.post(base + "/v1/orders", json=body, timeout=30,
                                  headers={"Authorization": "Bearer " + key, "Idempotency-Key": external_id})
            answered = time.time()
            assert answer.status_code == 200, answer.text
            submitted[answer.json()["order"]["id"]] = started
            round_trips.append(1000 * (answered - started))
            time.sleep(max(0.0, interval_s - (answered - started)))
        deadline = time.time() + 60
        while time.time() < deadline:
            page_seen = browser.execute_script("return window.__seen")
            if all(order in page_seen for order in submitted) and all(order in stream_seen for order in submitted):
                break
            time.sleep(0.1)
        page_seen = browser.execute_script("return window.__seen")
        on_page = [page_seen[o] - 1000 * t for o, t in submitted.items() if o in page_seen]
        on_stream = [1000 * (stream_seen[o] - t) for o, t in submitted.items() if o in stream_seen]
        print(f"submission -> row, {orders} orders, one every {1000 * interval_s:.0f} ms (open loop):")
        print(f"  baseline: the submission's own round trip (POST /v1/orders):  {summary(round_trips)}")
        print(f"  the SSE stream read by a plain HTTP client (requests):         {summary(on_stream)}")
        print(f"  the board page in headless Chromium (row in the DOM):          {summary(on_page)}")
        missing = len(submitted) - len(on_page)
        if missing:
            print(f"  {missing} orders never appeared on the page within 60 s")
    finally:
        stop.set()
        browser.quit()


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--orders", type=int, default=200)
    parser.add_argument("--interval-ms", type=float, default=100)
    parser.add_argument("--load-rounds", type=int, default=20)
    args = parser.parse_args()
    browser_support.require_chromium()
    with tempfile.TemporaryDirectory(prefix="xsc-board-bench-") as work:
        with Cluster.started(Path(work), env={"gateway": {"XSC_RATE_BURST": "100000", "XSC_RATE_PER_SECOND": "100000",
                                                          "LOG_LEVEL": "warning"},
                                              "orders": {"LOG_LEVEL": "warning"}, "notifications": {"LOG_LEVEL": "warning"}}) as cluster:
            key = cluster.drill_partner_key()
            base = cluster.http_url()
            token = requests.post(base + "/v1/staff/login", json={"phone": CS, "password": DRILL_PASSWORD}, timeout=30).json()["sessionToken"]
            page_weight(base)
            first_loads(base, token, args.load_rounds)
            submission_latency(cluster, key, token, args.orders, args.interval_ms / 1000)
    return 0


if __name__ == "__main__":
    sys.exit(main())
