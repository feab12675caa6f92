"""`make drill` (scripts/drill.py) run as a person runs it, as a subprocess, against a fresh
system (cluster_support: gateway + orders + notifications, dev SMS file): it seeds the drill,
takes one mall order from submission to return visit through the gateway, prints each step,
exits 0, and leaves no key of its own active. Run again in the same system it works again; a
step that fails makes it exit non-zero naming the step and the gRPC status, keys revoked all
the same; the keys and open prompts an interrupted run leaves behind do not stop the next run.

Needs DATABASE_URL (a superuser URL; `make test` provides one). Waits inside the script are
polls under its --timeout, a liveness bound, never a timing assertion."""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import uuid

import pytest

import wire_support
from cluster_support import ADMIN_PASSWORD, ADMIN_PHONE, Cluster, eventually

SCRIPT = wire_support.REPO_ROOT / "scripts" / "drill.py"
RUN_LIMIT_S = 600  # liveness bound of one whole run on a loaded machine
OFFICE_LEAD = "13900000003"
DRILL_PARTNERS = ("drill-mall", "drill-sms")


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    # Several drills in a minute prompt the same lead more often than the default per-recipient
    # SMS limit (5/60s) lets through at once: deferred messages would only make the test slower.
    with Cluster.started(tmp_path_factory.mktemp("drill-script"),
                         env={"notifications": {"XSC_SMS_RATE_LIMIT": "1000/60s"}}) as running:
        yield running
        running.assert_all_running()


@pytest.fixture(scope="module")
def var_dir(tmp_path_factory):
    """The drill's state folder (its lock and the ids of keys not yet revoked)."""
    return tmp_path_factory.mktemp("drill-var")


def run_drill(cluster, var_dir, *extra: str) -> subprocess.CompletedProcess:
    # The admin password through the environment, as `make drill` would read it from var/secrets.
    env = {**os.environ, "XSC_ADMIN_PASSWORD": ADMIN_PASSWORD, "XSC_ADMIN_PHONE": ADMIN_PHONE}
    args = [sys.executable, str(SCRIPT), "--gateway", cluster.address("gateway"), "--sms-file", str(cluster.sms_file),
            "--var", str(var_dir), "--xsc", str(wire_support.binary("xsc")), "--timeout", "120", *extra]
    return subprocess.run(args, env=env, capture_output=True, text=True, timeout=RUN_LIMIT_S)


def order_of(output: str) -> tuple[str, str]:
    """(code, id) of the order a drill run submitted, from its output."""
    found = re.search(r"^    order (\w+) \(id (\S+), external id drill-", output, re.MULTILINE)
    assert found, output
    return found.group(1), found.group(2)


def assert_went_through(cluster, run: subprocess.CompletedProcess) -> str:
    """The run's key lines, the order visited in orders' own table; returns the order id."""
    output = run.stdout
    assert run.returncode == 0, output + run.stderr
    code, order_id = order_of(output)
    assert re.search(rf"^    \S+ to {OFFICE_LEAD} \(\d+ segment\(s\)\): .*{code}", output, re.MULTILINE), output
    assert "OUTCOME_ACKNOWLEDGEMENT_QUEUED for order " + order_id in output, output
    assert re.search(r"acknowledged by 办事处订单负责人 张 \(13900000003\) at \S+, \d+\.\d s after submission", output), output
    assert "accepted by the dealer: accepted" in output and "marked delivered by the dealer: delivered" in output, output
    assert "return visit by the lead: visited; actually sold 2 of 3 = 1056.00 yuan, evaluation 5/5" in output, output
    for kind in ("submitted", "acknowledged", "assigned", "accepted", "delivered", "visited"):
        assert re.search(rf"^    \S+  {kind} ", output, re.MULTILINE), f"event {kind} not listed:\n{output}"
    assert re.search(r"SLA of 办事处订单负责人 张 \(13900000003\): [1-9]\d* acknowledgement\(s\).*misses 0,", output), output
    assert f"drill done: order {code} went from submission to return visit" in output, output
    assert "[cleanup] this run's keys revoked, sessions ended" in output, output
    rows = cluster.query("orders", "SELECT state, actual_total_fen, evaluation_score FROM orders WHERE id = :'p1'", order_id)
    assert rows == [["visited", "105600", "5"]], rows
    return order_id


def active_keys(cluster, partner_id: str) -> list[str]:
    return [row[0] for row in cluster.query(
        "gateway", "SELECT id FROM partner_keys WHERE partner_id = :'p1' AND revoked_at IS NULL", partner_id)]


def assert_only_the_seeded_keys_are_active(cluster, var_dir) -> None:
    for partner_id in DRILL_PARTNERS:
        assert len(active_keys(cluster, partner_id)) == 1, f"{partner_id}: only seed-drill's key stays active"
    assert not (var_dir / "run" / "drill-keys.json").exists(), "nothing left to revoke"


def test_the_drill_goes_through_and_again(cluster, var_dir):
    first = run_drill(cluster, var_dir)
    first_order = assert_went_through(cluster, first)
    assert "shown once" in first.stdout, "the first run seeded the drill (keys included)"
    assert_only_the_seeded_keys_are_active(cluster, var_dir)

    second = run_drill(cluster, var_dir)
    second_order = assert_went_through(cluster, second)
    assert second_order != first_order
    assert "already there, password unchanged" in second.stdout and "shown once" not in second.stdout
    assert_only_the_seeded_keys_are_active(cluster, var_dir)


def test_a_failing_step_names_itself_exits_non_zero_and_still_revokes_the_keys(cluster, var_dir):
    # The members exist already: seed-drill leaves their password, so the lead's login fails.
    run = run_drill(cluster, var_dir, "--member-password", "not-the-drill-password")
    assert run.returncode == 1, run.stdout + run.stderr
    assert re.search(r"^FAILED at step 6 \(the office lead \(13900000003\) logs in.*\): UNAUTHENTICATED: ",
                     run.stdout, re.MULTILINE), run.stdout
    assert "[cleanup] this run's keys revoked" in run.stdout, run.stdout
    assert_only_the_seeded_keys_are_active(cluster, var_dir)


def test_keys_and_open_prompts_an_interrupted_run_left_do_not_stop_the_next(cluster, var_dir):
    pb = cluster.stubs
    # An interrupted run: its partner key (not recorded: the state file was lost) submitted an
    # order whose prompt the lead never answered; its SMS-provider key is recorded.
    partner_key = cluster.create_partner_key("drill-mall", "mall")
    orders = pb.orders_grpc.OrderServiceStub(cluster.gateway_channel())
    stranded = orders.SubmitOrder(pb.orders.SubmitOrderRequest(
        source=pb.orders.SOURCE_MALL, external_id="drill-stranded-" + uuid.uuid4().hex[:8],
        customer=pb.orders.Customer(name="顾客 吴", phone="13700000002", address="重庆市渝中区较场口 2 号"),
        delivery_district_id="cq-o1-d3",
        lines=[pb.orders.OrderLine(sku_id="drill-baijiu-500ml", quantity=1, unit_price_fen=52_800)]),
        metadata=partner_key, timeout=30).order
    eventually("the stranded order's prompt went out", lambda: [
        line for line in cluster.sms_lines() if line["to"] == OFFICE_LEAD and stranded.code in line["text"]])
    keys = pb.gateway_grpc.PartnerKeyServiceStub(cluster.gateway_channel())
    provider_key = keys.CreateKey(pb.gateway.CreateKeyRequest(partner_id="drill-sms", channel="sms_provider"),
                                  metadata=cluster.admin(), timeout=30).key
    (var_dir / "run").mkdir(exist_ok=True)
    (var_dir / "run" / "drill-keys.json").write_text(json.dumps({"key_ids": [provider_key.id]}))
    assert all(len(active_keys(cluster, partner_id)) == 2 for partner_id in DRILL_PARTNERS), "both at their limit"

    run = run_drill(cluster, var_dir)
    assert_went_through(cluster, run)
    assert f"revoked key {provider_key.id}, left by an interrupted drill run" in run.stdout, run.stdout
    assert "a drill run's leftover, as the partner was at its limit of two active keys" in run.stdout, run.stdout
    assert "(other prompts open); the lead replies with the order's code" in run.stdout, run.stdout
    assert_only_the_seeded_keys_are_active(cluster, var_dir)
    # The stranded order is left as it was: the drill only works its own.
    assert cluster.query("orders", "SELECT state FROM orders WHERE id = :'p1'", stranded.id) == [["received"]]
