"""Two replicas of each service on one database, one replica killed at a time under load, and
nothing lost or done twice (issue 19, "Replicas proven"; ARCHITECTURE.md, "Growing past one
machine": services are stateless, outbox relays and timers are replica-safe by construction).

Two processes each of the gateway, orders and notifications run on one machine against one fresh
database (cluster_support, `replicas=`), started together so their migrations meet at the
advisory lock. The gateway takes one address per backend, so gateway-2 forwards to orders-2 and
orders-2's relay delivers to notifications-2 (cluster_support's wiring); the partner balances
across the two gateways as a load balancer would, moving to the other gateway when a call fails
with an unknown outcome and retrying with the same idempotency key. Meanwhile every order's
acknowledgement deadline is made due at once, so both orders replicas' timer workers race for
the same timers while replicas die.

Kills (SIGKILL, one replica at a time; the killed one is started again after a while): orders,
gateway-2, notifications, orders-2, notifications-2, gateway. Checked afterwards: every order
exists once under the id the partner was told (none lost, none duplicated); each acknowledgement
timer fired once (one violation row, one `sla_violation` event, one escalation per superior);
each outbox event arrived once (one prompt message per order, one escalation message per
superior; the development provider's file has each prompt, a repeat only under the same message
id when a notifications replica died between its send and its record); the surviving processes
are all running, and their logs show no statement prepared twice and no crash. Figures are printed.

A kill waits until both paths (gateway -> orders) answer again after the previous one: the
gateway's channel to a restarted backend reconnects on its backoff timer (100 ms doubling to 5 s),
so for a second or two after a backend replica returns only the other path answers; a kill in
that window would take both paths down at once (a second failure, not one replica at a time).

customers, proposals and settlements serve no domain RPCs yet (README, "Status"): they are not
part of this run; their replicas would only show the platform (migrations, health) working.
"""
from __future__ import annotations

import itertools
import threading
import time
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import grpc
import pytest

from cluster_support import Cluster, eventually, until_answered
from test_crash_recovery import (CALLERS, LEASE_MS, RETRIED, RETRY_FOR_S, T, assert_each_order_once,
                                 lead_lines_by_code, prompts_settled, seeded_partner)

REPLICATED = ("gateway", "orders", "notifications")
REPLICAS = {name: 2 for name in REPLICATED}
KILLS = ("orders", "gateway-2", "notifications", "orders-2", "notifications-2", "gateway")
# Each caller waits this long between orders: a steady load of at most CALLERS / THINK_S orders a
# second, which keeps a run near 1500 orders (their ids go to psql as one argument).
THINK_S = 0.1
DOWN_S = 2.0  # how long a killed replica stays down under load before it is started again
SERVICE_ENV = {
    "orders": {"XSC_CLAIM_LEASE_MS": LEASE_MS},
    "gateway": {"XSC_CLAIM_LEASE_MS": LEASE_MS, "XSC_GATEWAY_REPLICAS": "2"},
    "notifications": {"XSC_CLAIM_LEASE_MS": LEASE_MS, "XSC_SMS_RATE_LIMIT": "100000/1s"},
}


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    with Cluster.started(tmp_path_factory.mktemp("replicas"), services=REPLICATED, env=SERVICE_ENV,
                         replicas=REPLICAS) as running:
        yield running


class BalancedSubmitter:
    """Orders `prefix-N` from CALLERS threads, spread over the gateways; a call whose outcome is
    unknown moves to the next gateway and is retried with the same idempotency key."""

    def __init__(self, cluster: Cluster, partner, prefix: str):
        self.cluster, self.partner, self.prefix = cluster, partner, prefix
        self.gateways = [cluster.channel(name) for name in cluster.instances("gateway")]
        self.answers: dict[str, object] = {}
        self.answered_at: list[float] = []
        self.spans: list[tuple[float, float]] = []  # (first attempt, answer) of every order
        self.retried: Counter = Counter()
        self.answered_by: Counter = Counter()  # gateway instance -> orders it answered
        self.lock = threading.Lock()

    def request(self, external_id: str):
        pb = self.cluster.stubs.orders
        return pb.SubmitOrderRequest(
            source=pb.SOURCE_MALL, external_id=external_id,
            customer=pb.Customer(name="顾客 吴", phone="13700000009", address="重庆市渝中区解放碑 9 号"),
            delivery_district_id="cq-o1-d3",
            lines=[pb.OrderLine(sku_id="drill-baijiu-500ml", quantity=1, unit_price_fen=52_800)])

    def submit(self, number: int) -> None:
        external_id = f"{self.prefix}-{number}"
        metadata = self.partner + [("idempotency-key", "key-" + external_id)]
        began = time.monotonic()

        def via_next_gateway(attempt: int):
            stub = self.cluster.stubs.orders_grpc.OrderServiceStub(self.gateways[(number + attempt) % len(self.gateways)])
            return stub.SubmitOrder(self.request(external_id), metadata=metadata, timeout=T)
        attempt, answer = until_answered(via_next_gateway, retried_codes=RETRIED, give_up_after_s=RETRY_FOR_S,
                                         pause_s=0.05, retried=self.retried, lock=self.lock)
        gateway = (number + attempt) % len(self.gateways)
        with self.lock:
            self.answers[external_id] = answer.order
            self.answered_by[self.cluster.instances("gateway")[gateway]] += 1
            self.answered_at.append(time.monotonic())
            self.spans.append((began, self.answered_at[-1]))


def submitted_floor(submitter: BalancedSubmitter) -> int:
    """A quarter of the orders: each gateway (and its orders replica) must have answered more."""
    return len(submitter.answers) // 4


def make_deadlines_due(cluster: Cluster, prefix: str) -> None:
    """The acknowledgement deadlines of this run's orders, due now (nobody acknowledges them)."""
    cluster.query("orders", """
        UPDATE xsc_timers SET due_at = now(), fire_at = now()
        WHERE kind = 'order.ack_deadline' AND state = 'pending'
          AND subject_id IN (SELECT id FROM orders WHERE external_id LIKE :'p1')
        RETURNING 1
        """, prefix + "-%")


def test_replicas_killed_one_at_a_time_lose_and_duplicate_nothing(cluster):
    partner = seeded_partner(cluster)
    prefix = "replicas-" + uuid.uuid4().hex[:6]
    submitter = BalancedSubmitter(cluster, partner, prefix)
    stop = threading.Event()
    recoveries: list[tuple[str, float, float, float, float]] = []

    def caller(numbers):
        while not stop.is_set():
            submitter.submit(next(numbers))
            time.sleep(THINK_S)

    def deadlines():
        while not stop.is_set():
            make_deadlines_due(cluster, prefix)
            time.sleep(0.5)

    numbers = itertools.count()
    started = time.monotonic()
    with ThreadPoolExecutor(CALLERS + 1) as pool:
        workers = [pool.submit(caller, numbers) for _ in range(CALLERS)]
        workers.append(pool.submit(deadlines))
        try:
            eventually("the first orders answered", lambda: len(submitter.answers) >= 30)
            for victim in KILLS:
                killed_at = time.monotonic()
                cluster.kill_service(victim)
                # Recovered: the partner gets answers again (through the other replica).
                eventually(f"answers after killing {victim}",
                           lambda: sum(1 for t in submitter.answered_at if t > killed_at) >= CALLERS)
                answering = max(0.0, min(t for t in submitter.answered_at if t > killed_at) - killed_at)
                time.sleep(max(0.0, DOWN_S - (time.monotonic() - killed_at)))
                cluster.start_service(victim)
                back = time.monotonic() - killed_at
                # One replica at a time: the next kill waits until both paths (gateway -> orders)
                # answer again, so it never falls on a path still reconnecting.
                with submitter.lock:
                    before = dict(submitter.answered_by)
                eventually(f"both gateways answer after {victim} is back",
                           lambda: all(submitter.answered_by[g] > before.get(g, 0) for g in cluster.instances("gateway")))
                whole = time.monotonic() - killed_at
                # The worst a partner saw: the longest order (all its attempts) begun while the
                # replica was down or in flight when it died.
                worst = max((end - begin for begin, end in list(submitter.spans)
                             if end > killed_at and begin < killed_at + DOWN_S), default=0.0)
                recoveries.append((victim, answering, worst, back, whole))
        finally:
            stop.set()
            for future in workers:
                future.result()
    elapsed = time.monotonic() - started
    cluster.assert_all_running()
    make_deadlines_due(cluster, prefix)

    assert len(submitter.answered_by) == 2 and min(submitter.answered_by.values()) > submitted_floor(submitter), \
        f"both replicas took a share of the load: {submitter.answered_by}"
    rows = assert_each_order_once(cluster, submitter)  # none lost, none duplicated, one timer each
    submitted = len(submitter.answers)
    ids = "{" + ",".join(row[1] for row in rows) + "}"

    # Every acknowledgement timer fired, once.
    def timers_fired():
        states = cluster.query("orders", """
            SELECT state, count(*) FROM xsc_timers WHERE kind = 'order.ack_deadline' AND subject_id = ANY(:'p1'::text[])
            GROUP BY state""", ids)
        return dict(states).get("fired") == str(submitted) and len(states) == 1
    eventually("every acknowledgement deadline fired", timers_fired)
    per_order = cluster.query("orders", """
        SELECT o.id,
               (SELECT count(*) FROM sla_violations v WHERE v.order_id = o.id AND v.step = 'order.ack_deadline'),
               (SELECT count(*) FROM order_events e WHERE e.order_id = o.id AND e.kind = 'sla_violation')
        FROM orders o WHERE o.id = ANY(:'p1'::text[])""", ids)
    fired_twice = [row for row in per_order if (row[1], row[2]) != ("1", "1")]
    assert not fired_twice, f"timers fired other than once: {fired_twice[:5]}"

    # Every outbox event arrived once: one prompt per order, one escalation per superior.
    messages = prompts_settled(cluster, rows)
    assert len(messages) == len(rows), "one prompt message per order"

    def escalations_arrived():
        return cluster.query("notifications", """
            SELECT subject_id, coalesce(recipient_account_id, phone), count(*) FROM messages
            WHERE template = 'sla_escalation' AND subject_id = ANY(:'p1'::text[])
            GROUP BY 1, 2""", ids)
    escalations = eventually("an escalation for every order",
                             lambda: (found := escalations_arrived()) and len({r[0] for r in found}) == submitted and found)
    twice = [row for row in escalations if row[2] != "1"]
    assert not twice, f"escalations delivered twice: {twice[:5]}"
    per_superiors = Counter(Counter(row[0] for row in escalations).values())
    assert len(per_superiors) == 1, f"orders escalated to different numbers of superiors: {per_superiors}"

    # The provider's file: each prompt there, a repeat only under the same message id.
    lines = lead_lines_by_code(cluster, rows)
    per_code = Counter(code for code, _ in lines.elements())
    assert set(per_code) == {row[2] for row in rows}, "every order's prompt reached the provider"
    assert set(Counter(code for code, _ in lines).values()) == {1}, "a repeat carries the same message id"
    repeats = sum(1 for count in per_code.values() if count > 1)
    assert repeats <= 16 * 2, "at most a claimed batch per notifications kill"

    # No statement prepared or closed twice on a pooled connection, no crash: the logs of the
    # processes running now (each killed replica's successor included) say nothing of the kind.
    errors = {instance: 0 for instance in cluster.processes}
    for instance in cluster.processes:
        for line in cluster.output(instance).splitlines():
            assert "prepared statement" not in line and "Fatal error" not in line, f"{instance}: {line}"
            errors[instance] += '"level":"error"' in line
    print(f"\nerror lines in the logs of the running processes: {dict(errors)}")
    print(f"replicas: {', '.join(f'{name} x{count}' for name, count in REPLICAS.items())} on one database")
    print(f"orders submitted {submitted} in {elapsed:.1f} s, lost 0, duplicated 0; "
          f"acknowledgement timers fired {submitted} (each once); escalations {len(escalations)} (each once); "
          f"prompts handed to the provider twice under one message id: {repeats}")
    print(f"answered by: {dict(submitter.answered_by)} (each gateway forwards to its own orders replica); "
          f"calls retried on the other gateway: {dict(submitter.retried)}")
    print(f"kills: {len(recoveries)} (SIGKILL, one replica at a time, restarted after {DOWN_S:.0f} s)")
    for victim, answering, worst, back, whole in recoveries:
        print(f"  {victim:16s} next answer {answering * 1000:5.0f} ms after the kill; longest order while it was "
              f"down {worst * 1000:5.0f} ms; replica serving again after {back:4.1f} s, both paths answering "
              f"after {whole:4.1f} s")
