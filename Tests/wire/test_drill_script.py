"""`make drill` (scripts/drill.py) run as a person runs it, as a subprocess, against a fresh
system (cluster_support: all six services, dev SMS file): it sets up the teams (the drill team's
members made by its team admin), takes one alliance order carrying the intermediary's share code
from submission to return visit and on to the intermediary's reward on a signed and paid
statement, adds a customer with two follow-ups, publishes a team notice whose question is
answered; prints each step, exits 0, and leaves no key of its own active. Each part's effects
are checked in the services' own tables. Run again in the same system it works again; a step
that fails makes it exit non-zero naming the step and the gRPC status, keys revoked all the
same; the keys and open prompts an interrupted run leaves behind do not stop the next run.

Needs DATABASE_URL (a superuser URL; `make test` provides one). Waits inside the script are
polls under its --timeout, a liveness bound, never a timing assertion."""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import uuid

import grpc
import pytest

import wire_support
from cluster_support import ADMIN_PASSWORD, ADMIN_PHONE, ALL_SERVICES, Cluster, eventually

SCRIPT = wire_support.REPO_ROOT / "scripts" / "drill.py"
RUN_LIMIT_S = 600  # liveness bound of one whole run on a loaded machine
OFFICE_LEAD = "13900000003"
TEAM = "/hq/cq/cq-o1/cq-o1-d3/t8"
TEAM_ADMIN, SALESPERSON, INTERMEDIARY, COLLEAGUE = "13900000016", "13900000017", "13900000018", "13900000019"
DEALER, REGIONAL_MANAGER = "13900000005", "13900000001"
DRILL_PARTNERS = ("drill-alliance", "drill-sms")
SEEDED = {"drill-alliance": 0, "drill-sms": 1}  # xsc seed-drill keeps one drill-sms key


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    # Several drills in a minute prompt the same lead more often than the default per-recipient
    # SMS limit (5/60s) lets through at once: deferred messages would only make the test slower.
    with Cluster.started(tmp_path_factory.mktemp("drill-script"), services=ALL_SERVICES,
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


def found(pattern: str, output: str) -> str:
    match = re.search(pattern, output, re.MULTILINE)
    assert match, f"{pattern!r} not in:\n{output}"
    return match.group(1)


def account_id(cluster, phone: str) -> str:
    rows = cluster.query("gateway", "SELECT id FROM accounts WHERE phone = :'p1'", phone)
    assert len(rows) == 1, (phone, rows)
    return rows[0][0]


def assert_went_through(cluster, run: subprocess.CompletedProcess) -> str:
    """The run's key lines and each part's effects in the services' own tables; returns the
    order id."""
    output = run.stdout
    assert run.returncode == 0, output + run.stderr
    intermediary = account_id(cluster, INTERMEDIARY)
    salesperson, colleague = account_id(cluster, SALESPERSON), account_id(cluster, COLLEAGUE)

    # The organisation: the drill team's members were made by its team admin, not by hq_admin.
    assert cluster.query("gateway", "SELECT kind FROM org_nodes WHERE path = :'p1'", TEAM) == [["team"]]
    for phone in (SALESPERSON, INTERMEDIARY, COLLEAGUE, TEAM_ADMIN):
        assert cluster.query("gateway", "SELECT node_path FROM accounts WHERE phone = :'p1'", phone) == [[TEAM]]

    # Part 1: the order, resolved referrer, visited; the reward on a signed and paid statement.
    share_code = found(r"^    share code (\w{6}) ", output)
    code, order_id = order_of(output)
    assert re.search(rf"^    \S+ to {OFFICE_LEAD} \(\d+ segment\(s\)\): .*{code}", output, re.MULTILINE), output
    assert "OUTCOME_ACKNOWLEDGEMENT_QUEUED for order " + order_id in output, output
    assert re.search(r"acknowledged by 办事处订单负责人 张 \(13900000003\) at \S+, \d+\.\d s after submission", output), output
    assert "accepted by the dealer: accepted" in output and "marked delivered by the dealer: delivered" in output, output
    assert "return visit by the lead: visited; actually sold 2 of 3 = 996.00 yuan, evaluation 5/5" in output, output
    for kind in ("submitted", "acknowledged", "assigned", "accepted", "delivered", "visited"):
        assert re.search(rf"^    \S+  {kind} ", output, re.MULTILINE), f"event {kind} not listed:\n{output}"
    assert re.search(r"SLA of 办事处订单负责人 张 \(13900000003\): [1-9]\d* acknowledgement\(s\).*misses 0,", output), output
    assert cluster.query("customers", "SELECT account_id FROM referral_codes WHERE code = :'p1'", share_code) == [[intermediary]]
    assert f"the order's referrer, as orders resolved share code {share_code}: 中间人 吴 (13900000018)" in output, output
    rows = cluster.query("orders", "SELECT state, actual_total_fen, evaluation_score, source, referrer_code FROM orders "
                                   "WHERE id = :'p1'", order_id)
    assert rows == [["visited", "99600", "5", "alliance", intermediary]], rows
    rows = cluster.query("settlements", "SELECT l.amount_fen, l.sales_fen, s.state, s.payment_reference, s.signed_by, "
                                        "s.paid_recorded_by FROM reward_lines l JOIN statements s ON s.period_start = l.period_start "
                                        "AND s.dealer_account_id = l.dealer_account_id AND s.payee_account_id = l.payee_account_id "
                                        "WHERE l.order_id = :'p1' AND l.payee_account_id = :'p2' AND l.level = 1",
                         order_id, intermediary)
    assert rows == [["4980", "99600", "paid", found(r"reference (drill-transfer-\S+):", output),
                     account_id(cluster, REGIONAL_MANAGER), account_id(cluster, DEALER)]], rows
    assert re.search(rf"^    order {code}: 49\.80 yuan EARNING_STATE_PAID", output, re.MULTILINE), output

    # Part 2: the customer, owned by the salesperson, two follow-ups, the colleague's task.
    customer = found(r"^    customer \S+ \S+ \(id (\S+)\), phone ", output)
    rows = cluster.query("customers", "SELECT owner_account_id, team_path, origin FROM customers WHERE id = :'p1'", customer)
    assert rows == [[salesperson, TEAM, "self"]], rows
    rows = cluster.query("customers", "SELECT channel, outcome, author_account_id, array_length(asked_account_ids, 1) "
                                      "FROM follow_ups WHERE customer_id = :'p1' ORDER BY created_at", customer)
    assert rows == [["1", "1", salesperson, "1"], ["2", "5", salesperson, ""]], rows
    rows = cluster.query("customers", "SELECT assignee_account_id, state FROM follow_up_tasks WHERE customer_id = :'p1'", customer)
    assert rows == [[colleague, "done"]], rows

    # Part 3: the notice in the team, its answered question, the read list.
    notice = found(r"^    notice (\S+) \"", output)
    rows = cluster.query("proposals", "SELECT team_path, author, sms FROM notices WHERE id = :'p1'", notice)
    assert rows == [[TEAM, account_id(cluster, TEAM_ADMIN), "t"]], rows
    rows = cluster.query("proposals", "SELECT asker, answered_by, answer <> '' FROM notice_questions WHERE notice_id = :'p1'", notice)
    assert rows == [[salesperson, account_id(cluster, TEAM_ADMIN), "t"]], rows
    readers = [row[0] for row in cluster.query("proposals", "SELECT account_id FROM notice_reads WHERE notice_id = :'p1'", notice)]
    assert salesperson in readers, readers
    assert re.search(r"^    read by .*业务员 周 \(13900000017\)", output, re.MULTILINE), output

    assert f"drill done: (1) order {code} went from submission to return visit" in output, output
    assert "[cleanup] this run's keys revoked, sessions ended" in output, output
    return order_id


def active_keys(cluster, partner_id: str) -> list[str]:
    return [row[0] for row in cluster.query(
        "gateway", "SELECT id FROM partner_keys WHERE partner_id = :'p1' AND revoked_at IS NULL", partner_id)]


def assert_only_the_seeded_keys_are_active(cluster, var_dir) -> None:
    for partner_id in DRILL_PARTNERS:
        assert len(active_keys(cluster, partner_id)) == SEEDED[partner_id], f"{partner_id}: only seed-drill's keys stay active"
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
    # The members exist already: the drill leaves their password, so the team admin's login fails.
    run = run_drill(cluster, var_dir, "--member-password", "not-the-drill-password")
    assert run.returncode == 1, run.stdout + run.stderr
    assert re.search(r"^FAILED at step 4 \(the team admin \(13900000016\) logs in.*\): UNAUTHENTICATED: ",
                     run.stdout, re.MULTILINE), run.stdout
    assert "[cleanup] this run's keys revoked" in run.stdout, run.stdout
    assert_only_the_seeded_keys_are_active(cluster, var_dir)


def test_keys_and_open_prompts_an_interrupted_run_left_do_not_stop_the_next(cluster, var_dir):
    pb = cluster.stubs
    # An interrupted run: its partner keys (not recorded: the state file was lost), one of which
    # submitted an order whose prompt the lead never answered; its SMS-provider key is recorded.
    cluster.create_partner_key("drill-alliance", "alliance")
    partner_key = cluster.create_partner_key("drill-alliance", "alliance")
    intermediary = account_id(cluster, INTERMEDIARY)
    orders = pb.orders_grpc.OrderServiceStub(cluster.gateway_channel())
    stranded = orders.SubmitOrder(pb.orders.SubmitOrderRequest(
        source=pb.orders.SOURCE_ALLIANCE, external_id="drill-stranded-" + uuid.uuid4().hex[:8], referrer_code=intermediary,
        customer=pb.orders.Customer(name="顾客 吴", phone="13700000002", address="重庆市渝中区较场口 2 号"),
        delivery_district_id="cq-o1-d3",
        lines=[pb.orders.OrderLine(sku_id="drill-baijiu-500ml", quantity=1, unit_price_fen=49_800)]),
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
    assert "a drill run's leftover (2 active keys; the partner may have two)" in run.stdout, run.stdout
    assert "(other prompts open); the lead replies with the order's code" in run.stdout, run.stdout
    assert_only_the_seeded_keys_are_active(cluster, var_dir)
    # The stranded order is left as it was: the drill only works its own.
    assert cluster.query("orders", "SELECT state FROM orders WHERE id = :'p1'", stranded.id) == [["received"]]


def test_an_unknown_share_code_is_refused_on_its_field_and_an_account_id_passes(cluster, var_dir):
    """Orders resolves share codes through customers at intake (the drill's part 1 uses a real
    one): a code nobody has is INVALID_ARGUMENT on referrer_code, nothing stored."""
    pb = cluster.stubs
    key = cluster.create_partner_key("drill-alliance", "alliance")
    orders = pb.orders_grpc.OrderServiceStub(cluster.gateway_channel())
    external_id = "drill-unknown-code-" + uuid.uuid4().hex[:8]

    def submit(referrer: str):
        return orders.SubmitOrder(pb.orders.SubmitOrderRequest(
            source=pb.orders.SOURCE_ALLIANCE, external_id=external_id, referrer_code=referrer,
            customer=pb.orders.Customer(name="顾客 郑", phone="13700000003", address="重庆市渝中区较场口 3 号"),
            delivery_district_id="cq-o1-d3",
            lines=[pb.orders.OrderLine(sku_id="drill-baijiu-500ml", quantity=1, unit_price_fen=49_800)]),
            metadata=key, timeout=30).order
    try:
        with pytest.raises(grpc.RpcError) as refused:
            submit("zz-zz-zz")
        assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        assert "unknown referral code ZZZZZZ" in refused.value.details()
        fields = [violation.field for detail in cluster.stubs.error_details(refused.value)
                  if hasattr(detail, "field_violations") for violation in detail.field_violations]
        assert fields == ["referrer_code"], fields
        assert cluster.query("orders", "SELECT count(*) FROM orders WHERE external_id = :'p1'", external_id) == [["0"]]
        intermediary = account_id(cluster, INTERMEDIARY)
        assert submit(intermediary).referrer_code in ("", intermediary)  # a partner may not see it
        assert cluster.query("orders", "SELECT referrer_code FROM orders WHERE external_id = :'p1'", external_id) == [[intermediary]]
    finally:
        keys = pb.gateway_grpc.PartnerKeyServiceStub(cluster.gateway_channel())
        for key_id in active_keys(cluster, "drill-alliance"):
            keys.RevokeKey(pb.gateway.RevokeKeyRequest(key_id=key_id), metadata=cluster.admin(), timeout=30)
