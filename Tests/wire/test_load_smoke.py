"""xsc-load smoke runs (issue 18): every service's scenario of services/<name>/loadtest/ for about
two seconds against the real binaries, directly (minted actors) and, where people can make the
calls, through the gateway (logged-in sessions). A smoke run checks that the tool produces
figures, never what they are: the JSON parses, operations and OK answers are counted, latency
percentiles and the server's CPU and RSS are there, and the service really did the work (rows in
its database). Needs DATABASE_URL."""
from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

import wire_support
from cluster_support import ACTOR_SECRET, ALL_SERVICES, DRILL_PASSWORD, Cluster

SCENARIOS = {
    "orders": "services/orders/loadtest/intake.json",
    "customers": "services/customers/loadtest/create-search.json",
    "proposals": "services/proposals/loadtest/submit-decide.json",
    "notifications": "services/notifications/loadtest/send.json",
    "settlements": "services/settlements/loadtest/close.json",
}
SALESPERSON = "13900000007"  # the drill's salesperson on t7
TEAM_ADMIN = "13900000006"   # t7's team admin: decides t7's proposals


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    with Cluster.started(tmp_path_factory.mktemp("load"), services=ALL_SERVICES) as running:
        yield running


def xsc_load(*args: str, timeout_s: float = 180) -> subprocess.CompletedProcess:
    return subprocess.run([str(wire_support.binary("xsc-load")), *args], cwd=wire_support.REPO_ROOT,
                          env={"PATH": "/usr/bin:/bin", "XSC_ACTOR_SECRET": ACTOR_SECRET},
                          capture_output=True, text=True, timeout=timeout_s)


def run_json(*args: str) -> dict:
    done = xsc_load(*args, "--duration", "2", "--warmup", "0.5", "--json")
    assert done.returncode == 0, done.stdout + done.stderr
    return json.loads(done.stdout)


def assert_figures(report: dict, pid: int | None) -> None:
    assert report["operations"] > 0, report
    assert report["statuses"].get("OK", 0) > 0, report
    assert sum(report["statuses"].values()) == report["operations"], report
    latency = report["latency_us"]
    assert latency["count"] == report["statuses"]["OK"], report
    assert 0 < latency["p50"] <= latency["p90"] <= latency["p99"] <= latency["p99.9"] <= latency["max"], latency
    assert report["operations_per_s"] > 0, report
    server = report["server"]
    if pid is not None:
        assert server["pid"] == pid, (server, pid)
    assert server["rss_max_mib"] > 0 and server["cpu_s"] >= 0, server
    assert report["machine"]["cpus"] >= 1, report


@pytest.mark.parametrize("service", list(SCENARIOS))
def test_each_scenario_directly_produces_figures(cluster, service):
    # The server is found by the port it listens on (no --server-pid).
    report = run_json(SCENARIOS[service], "--target", cluster.address(service), "--concurrency", "4")
    assert (report["service"], report["via"], report["mode"]) == (service, "direct", "closed"), report
    assert_figures(report, cluster.processes[service].proc.pid)
    done = report["statuses"]["OK"]
    if service == "orders":
        rows = cluster.query("orders", "SELECT count(*) FROM orders WHERE external_id LIKE 'load-%'")
        assert int(rows[0][0]) >= done
    elif service == "customers":
        rows = cluster.query("customers", "SELECT count(*) FROM customers WHERE name LIKE '压测%'")
        assert int(rows[0][0]) > 0
    elif service == "proposals":
        rows = cluster.query("proposals", "SELECT count(*) FROM proposals WHERE state = 'executing' AND title LIKE '压测品鉴会%'")
        assert int(rows[0][0]) >= done
    elif service == "notifications":
        rows = cluster.query("notifications", "SELECT count(*) FROM messages WHERE recipient_account_id LIKE 'load-lead-%'")
        assert int(rows[0][0]) >= done
    elif service == "settlements":
        assert report["extra"]["close_ms"] > 0, report
        assert report["extra"]["close_statements"] > 0, report
        rows = cluster.query("settlements", "SELECT count(*) FROM reward_lines WHERE order_id LIKE 'load-order-%'")
        assert int(rows[0][0]) >= done


def test_open_loop_measures_from_the_due_time(cluster):
    report = run_json(SCENARIOS["orders"], "--target", cluster.address("orders"), "--rate", "40",
                      "--server-pid", str(cluster.processes["orders"].proc.pid), "--skip-prepare")
    assert (report["mode"], report["rate"]) == ("open", 40), report
    assert "late_sends" in report and report["max_in_flight"] > 0, report
    assert_figures(report, cluster.processes["orders"].proc.pid)
    # At a fixed rate the operations follow the clock, not the answers: about 40/s x 2 s.
    assert 0 < report["operations"] <= 81, report


@pytest.fixture(scope="module")
def seeded(cluster):
    return cluster.seed_drill_once()


def test_orders_through_the_gateway_with_a_partner_key(cluster, seeded):
    # A key of its own: the drill's partner key is shown only once, to whoever seeded first.
    token = dict(cluster.create_partner_key("load-mall", "mall"))["authorization"].removeprefix("Bearer ")
    gateway, orders = cluster.processes["gateway"].proc.pid, cluster.processes["orders"].proc.pid
    report = run_json(SCENARIOS["orders"], "--via", "gateway", "--target", cluster.address("gateway"), "--token", token,
                      "--concurrency", "4", "--server-pid", str(gateway), "--server-pid", str(orders))
    assert report["via"] == "gateway", report
    assert_figures(report, gateway)
    assert [server["pid"] for server in report["servers"]] == [gateway, orders], report


def test_customers_through_the_gateway_logged_in(cluster, seeded):
    report = run_json(SCENARIOS["customers"], "--via", "gateway", "--target", cluster.address("gateway"),
                      "--login", f"{SALESPERSON}:{DRILL_PASSWORD}", "--concurrency", "4")
    assert_figures(report, cluster.processes["gateway"].proc.pid)


def test_proposals_through_the_gateway_proposer_and_decider(cluster, seeded):
    report = run_json(SCENARIOS["proposals"], "--via", "gateway", "--target", cluster.address("gateway"),
                      "--login", f"{SALESPERSON}:{DRILL_PASSWORD}", "--login", f"{TEAM_ADMIN}:{DRILL_PASSWORD}",
                      "--concurrency", "2")
    assert_figures(report, cluster.processes["gateway"].proc.pid)
    # Each operation is three calls; one refused part-way counts the calls answered before it.
    failed = sum(count for status, count in report["statuses"].items() if status != "OK")
    assert report["rpc_calls_answered"] >= 3 * report["statuses"]["OK"], report
    assert report["rpc_calls"] == report["rpc_calls_answered"] + failed, report


def test_text_report_names_every_figure(cluster):
    done = xsc_load(SCENARIOS["notifications"], "--target", cluster.address("notifications"), "--duration", "1",
                    "--warmup", "0", "--concurrency", "2")
    assert done.returncode == 0, done.stdout + done.stderr
    for words in ("operations", "latency us", "p50", "p99.9", "max", "statuses", "OK", "server", "RSS"):
        assert words in done.stdout, done.stdout


def test_machine_only_scenarios_refuse_the_gateway(cluster):
    done = xsc_load(SCENARIOS["notifications"], "--via", "gateway", "--target", cluster.address("gateway"),
                    "--duration", "1")
    assert done.returncode == 1, done.stdout + done.stderr
    assert "--via direct" in done.stderr, done.stderr


def test_a_failing_first_operation_stops_before_measuring(cluster):
    # Proposals' actors minted for orders: the service refuses them, and the tool says so.
    done = xsc_load(SCENARIOS["proposals"], "--target", cluster.address("orders"), "--duration", "1", "--skip-prepare")
    assert done.returncode == 1, done.stdout + done.stderr
    assert "first operation failed" in done.stderr, done.stderr


@pytest.mark.parametrize("service", list(SCENARIOS))
def test_directly_only_postgresql_and_the_service_need_to_run(tmp_path, service):
    # No gateway, no peers (their addresses are closed ports): the scenario prepares what it
    # needs through the service's own RPCs and its outbox, if any, simply waits for its peers.
    with Cluster.started(tmp_path, services=(service,)) as alone:
        report = run_json(SCENARIOS[service], "--target", alone.address(service), "--concurrency", "2")
        assert_figures(report, alone.processes[service].proc.pid)
        alone.assert_all_running()
