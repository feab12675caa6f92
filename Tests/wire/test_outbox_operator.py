"""An operator's view of an outbox whose receiver is not there: the backlog and its age per
route on the service's /metrics (OutboxMonitor), beside the process's RSS and open descriptors and from `xsc outbox backlog`; a dead letter
listed by `xsc outbox dead` and made due again by `xsc outbox replay`. Orders runs alone with
PostgreSQL (customers is not started: its address is a closed port, as before it is deployed)."""
from __future__ import annotations

import urllib.request

import pytest

from cluster_support import Cluster, eventually
from wire_support import run_xsc as xsc

ROUTE = "/xsc.customers.v1.CustomerService/RecordCustomerSeen"


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    with Cluster.started(tmp_path_factory.mktemp("outbox"), services=("orders",)) as running:
        yield running


def metrics(cluster: Cluster) -> str:
    port = cluster.specs["orders"].admin_port
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as response:
        return response.read().decode()


def enqueue(cluster: Cluster, event_id: str) -> None:
    # An event for a consumer that is not deployed, written as orders' outbox writes it.
    cluster.query("orders", """
        INSERT INTO xsc_outbox (event_id, destination, method_path, payload, next_attempt_at, created_at)
        VALUES (:'p1', 'customers', :'p2', '\\x'::bytea, now(), now() - interval '90 seconds')
        """, event_id, ROUTE)


def test_backlog_shows_on_metrics_and_in_the_cli_and_a_dead_letter_can_be_replayed(cluster):
    enqueue(cluster, "evt-waiting-1")
    enqueue(cluster, "evt-waiting-2")
    label = f'destination="customers",method="{ROUTE}"'

    def pending_reported():
        text = metrics(cluster)
        return f"xsc_outbox_pending{{{label}}} 2" in text and text
    text = eventually("the monitor reports the backlog", pending_reported)
    for process_metric in ("xsc_process_resident_memory_bytes ", "xsc_process_open_fds "):
        value = next(line for line in text.splitlines() if line.startswith(process_metric))
        assert float(value.split()[-1]) > 0, value
    age = next(line for line in text.splitlines() if line.startswith(f"xsc_outbox_oldest_pending_age_seconds{{{label}}}"))
    assert float(age.split()[-1]) >= 90, age

    url = cluster.database_urls["orders"]
    backlog = xsc("outbox", "backlog", "--database-url", url)
    assert backlog.returncode == 0, backlog.stderr
    row = next(line.split("\t") for line in backlog.stdout.splitlines() if line.startswith("customers\t"))
    assert row[1] == ROUTE and row[2] == "2" and int(row[3]) >= 90 and row[4] == "0", row

    # The relay gave up on one (as it does after its retry limit): a dead letter.
    cluster.query("orders", "UPDATE xsc_outbox SET state = 'dead', last_error = 'UNAVAILABLE: connection refused' "
                            "WHERE event_id = 'evt-waiting-1'")
    dead = xsc("outbox", "dead", "--database-url", url)
    assert dead.returncode == 0, dead.stderr
    assert "evt-waiting-1\tcustomers\t" + ROUTE in dead.stdout
    assert "connection refused" in dead.stdout
    eventually("the dead letter on /metrics", lambda: f"xsc_outbox_dead{{{label}}} 1" in metrics(cluster))

    replay = xsc("outbox", "replay", "--event", "evt-waiting-1", "--database-url", url)
    assert replay.returncode == 0, replay.stderr
    assert "replaying 1 dead letter" in replay.stdout
    # Due again: pending (the relay may already have tried it once more, so attempts is not read).
    assert cluster.query("orders", "SELECT state FROM xsc_outbox WHERE event_id = 'evt-waiting-1'") == [["pending"]]
    assert xsc("outbox", "replay", "--database-url", url).returncode == 2, "replay needs --event or --all"
    assert xsc("outbox", "frobnicate", "--database-url", url).returncode == 2
