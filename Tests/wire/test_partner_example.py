"""docs/examples/partner_client.py, the partner integration guide's example, against the real
system (the session's standard gateway + orders + notifications, conftest.py): a submission
and its retry give one order; a refused one names its field; the feed, followed in two runs
from a cursor file, sees each event once. Keeps the guide's example working.

Needs DATABASE_URL (a superuser URL; `make test` provides one)."""
from __future__ import annotations

import collections
import re
import subprocess
import sys
import uuid

import pytest

import wire_support

EXAMPLE = wire_support.REPO_ROOT / "docs" / "examples" / "partner_client.py"


@pytest.fixture(scope="module")
def cluster(standard_cluster):
    # Only calls the system, so the session's shared one does (conftest.py).
    yield standard_cluster
    standard_cluster.assert_all_running()


@pytest.fixture(scope="module")
def key(cluster):
    return cluster.drill_partner_key()


def example(cluster, key, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(EXAMPLE), args[0], "--gateway", cluster.address("gateway"), "--key", key,
                           "--proto-dir", str(wire_support.proto_dir()), *args[1:]],
                          capture_output=True, text=True, timeout=120)


def submit(cluster, key, external_id: str, *extra: str) -> subprocess.CompletedProcess:
    return example(cluster, key, "submit", "--external-id", external_id, "--district", "cq-o1-d3",
                   "--sku", "drill-baijiu-500ml", "--quantity", "2", "--customer-name", "顾客 周",
                   "--customer-phone", "13700000001", "--customer-address", "重庆市渝中区解放碑 1 号", *extra)


def test_submit_twice_is_one_order_and_a_bad_one_names_its_field(cluster, key):
    external_id = "guide-" + uuid.uuid4().hex[:8]
    first = submit(cluster, key, external_id)
    assert first.returncode == 0, first.stderr
    order_id = re.search(r"^submitted: order (\S+) code ([A-Z0-9]{7}) total 105600 fen$", first.stdout).group(1)
    # The retry carries the same idempotency key: the first answer again, word for word.
    again = submit(cluster, key, external_id)
    assert again.returncode == 0, again.stderr
    assert again.stdout == first.stdout and order_id in again.stdout
    rows = cluster.query("orders", "SELECT count(*) FROM orders WHERE external_id = :'p1'", external_id)
    assert rows == [["1"]]

    wrong_price = submit(cluster, key, "guide-" + uuid.uuid4().hex[:8], "--price-fen", "100")
    assert wrong_price.returncode == 1
    assert "refused: INVALID_ARGUMENT" in wrong_price.stderr
    assert "lines[0].unit_price_fen: mall orders are priced at the guided maximum: 52800 fen" in wrong_price.stderr


def test_the_feed_resumes_from_its_cursor_file_without_gap_or_repeat(cluster, key, tmp_path):
    external_ids = ["guide-feed-" + uuid.uuid4().hex[:8] for _ in range(3)]
    for external_id in external_ids:
        assert submit(cluster, key, external_id).returncode == 0
    cursor_file = tmp_path / "feed.cursor"
    seen: list[str] = []
    events = cluster.query("orders", "SELECT e.kind, o.id FROM order_events e JOIN orders o ON o.id = e.order_id "
                                     "WHERE o.partner_id = 'drill-mall'")
    total = len(events)
    # Two runs: the second starts where the first's cursor file left off.
    for batch in (total // 2, total - total // 2):
        run = example(cluster, key, "feed", "--cursor-file", str(cursor_file), "--max-events", str(batch))
        assert run.returncode == 0, run.stderr
        seen += run.stdout.splitlines()
    # Every event once: the same (kind, order) pairs as the database holds, as many times each
    # (an order of the shared system may have two events of one kind, e.g. assigned to a
    # district lead and then to a dealer, so the printed lines alone may repeat).
    printed = collections.Counter(tuple(re.fullmatch(r"(\S+): order \S* \((\S+)\) now \S+", line).groups()) for line in seen)
    assert printed == collections.Counter((kind, order_id) for kind, order_id in events), seen
    for external_id in external_ids:
        assert any(f"submitted: order {external_id} " in line for line in seen)
