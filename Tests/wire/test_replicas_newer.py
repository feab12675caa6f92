"""Two replicas each of customers, proposals and settlements (and of the gateway) behind the
gateway, one replica killed at a time under load, and nothing lost or done twice (issue 19,
"Replicas proven", for the three newer services; test_replicas.py does orders and notifications).

The processes run on one machine against one fresh database (cluster_support, `replicas=`):
gateway x2, customers x2, proposals x2, settlements x2, with one orders and one notifications.
gateway-2 forwards to customers-2, proposals-2 and settlements-2, and proposals-2's outbox relay
delivers to settlements-2 (cluster_support's wiring); callers balance over the two gateways as a
load balancer would, moving to the other gateway when a call's outcome is unknown and retrying it
with the same idempotency key. The load, all through the gateways:

- customers: a salesperson creates customers (one new phone each) and adds a follow-up due 1.5 s
  later, so both customers replicas' timer workers race for the reminder timers;
- proposals: a salesperson creates and submits proposals (the team's 30-minute decision window);
  their decision deadlines are made due at once, so both proposals replicas race for the timers,
  each firing records the superior's violation (outbox -> settlements) and escalates (outbox ->
  notifications);
- settlements: far weeks filled with reward lines are closed on demand through both gateways at
  once, over and over, while settlements replicas die.

Kills (SIGKILL, one replica at a time, restarted after DOWN_S): customers, proposals-2,
settlements, gateway-2 in `make test`; with XSC_REPLICAS_SOAK=1 (`make soak`) also customers-2,
proposals, settlements-2, gateway, and more load between them. Checked afterwards: every customer
and proposal the callers were told about exists once (none lost, none duplicated), each reminder
and each first decision deadline fired once (one reminder SMS per customer, one escalation per
proposal, one violation per superior), each outbox event arrived once (settlements booked every
violation once; notifications one message per event), every week closed once (one period close,
one statement per dealer and payee, one caller told "closed now"), and the logs of the running
processes show no statement prepared twice and no crash. Figures are printed."""
from __future__ import annotations

import itertools
import os
import threading
import time
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta

import grpc
import pytest

from cluster_support import Cluster, eventually, until_answered
from proposals_world import ADMIN7, TEAM, ZHAO, World
from test_settlements import SHANGHAI, ms, week_name, week_start

SOAK = os.environ.get("XSC_REPLICAS_SOAK") == "1"
SERVICES = ("gateway", "orders", "notifications", "customers", "proposals", "settlements")
REPLICAS = {"gateway": 2, "customers": 2, "proposals": 2, "settlements": 2}
KILLS = ("customers", "proposals-2", "settlements", "gateway-2") + (
    ("customers-2", "proposals", "settlements-2", "gateway") if SOAK else ())
LEASE_MS = "3000"
DOWN_S = 4.0 if SOAK else 2.0
THINK_S = 0.05
T = 10  # per-call liveness bound
RETRY_FOR_S = 90.0
RETRIED = {grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED, grpc.StatusCode.INTERNAL,
           grpc.StatusCode.UNKNOWN, grpc.StatusCode.CANCELLED}
WEEKS = len(KILLS) + 2  # far weeks to close, one after another during the run
LINES_PER_WEEK = 3000
SERVICE_ENV = {
    "gateway": {"XSC_CLAIM_LEASE_MS": LEASE_MS, "XSC_GATEWAY_REPLICAS": "2"},
    "customers": {"XSC_CLAIM_LEASE_MS": LEASE_MS},
    "proposals": {"XSC_CLAIM_LEASE_MS": LEASE_MS},
    "settlements": {"XSC_CLAIM_LEASE_MS": LEASE_MS},
    "notifications": {"XSC_CLAIM_LEASE_MS": LEASE_MS, "XSC_SMS_RATE_LIMIT": "100000/1s"},
}


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    with Cluster.started(tmp_path_factory.mktemp("replicas-newer"), services=SERVICES, env=SERVICE_ENV,
                         replicas=REPLICAS) as cluster:
        yield World(cluster)


class Balanced:
    """Calls spread over the gateways; a call whose outcome is unknown moves to the next gateway
    and is retried as it was (same idempotency key)."""

    def __init__(self, cluster: Cluster):
        self.cluster = cluster
        self.names = cluster.instances("gateway")
        self.channels = [cluster.channel(name) for name in self.names]
        self.retried: Counter = Counter()
        self.answered_by: Counter = Counter()
        self.answered_at: list[float] = []
        self.lock = threading.Lock()

    def call(self, number: int, invoke):
        """invoke(channel) until it answers; the answer."""
        attempt, answer = until_answered(lambda attempt: invoke(self.channels[(number + attempt) % len(self.channels)]),
                                         retried_codes=RETRIED, give_up_after_s=RETRY_FOR_S, pause_s=0.05,
                                         retried=self.retried, lock=self.lock)
        index = (number + attempt) % len(self.channels)
        with self.lock:
            self.answered_by[self.names[index]] += 1
            self.answered_at.append(time.monotonic())
        return answer


class Load:
    def __init__(self, world: World, prefix: str, far_weeks: list[datetime]):
        self.world, self.cluster, self.pb, self.prefix = world, world.cluster, world.pb, prefix
        self.balanced = Balanced(world.cluster)
        self.customers: dict[str, tuple[str, str]] = {}   # phone -> (customer id, name)
        self.proposals: dict[str, str] = {}                # title -> proposal id
        self.closes: dict[str, list[bool]] = {week_name(w): [] for w in far_weeks}  # closed_now answers
        self.far_weeks = far_weeks
        self.lock = threading.Lock()
        self.seller = world.as_(ZHAO)
        self.admin = world.cluster.admin()

    def customer(self, number: int) -> None:
        c = self.pb.customers
        phone = "1371%07d" % number
        name = f"客户{self.prefix}{number}"
        request = c.CreateCustomerRequest(customer=c.CustomerInput(
            name=name, phones=[phone], address=f"重庆市渝中区解放碑{number}号", district_id="cq-o1-d3",
            kind=c.CUSTOMER_KIND_GIFT))
        key = f"c-{self.prefix}-{number}"
        created = self.balanced.call(number, lambda channel: self.cluster.stubs.customers_grpc.CustomerServiceStub(channel)
                                     .CreateCustomer(request, metadata=self.seller + [("idempotency-key", key)], timeout=T))
        follow_up = c.AddFollowUpRequest(customer_id=created.customer.id, channel=c.CHANNEL_PHONE,
                                         outcome=c.OUTCOME_CALL_BACK, content="电话回访",
                                         next_follow_up_at_ms=int(time.time() * 1000) + 1500)
        self.balanced.call(number, lambda channel: self.cluster.stubs.customers_grpc.CustomerServiceStub(channel)
                           .AddFollowUp(follow_up, metadata=self.seller + [("idempotency-key", "f" + key)], timeout=T))
        with self.lock:
            self.customers[phone] = (created.customer.id, name)

    def proposal(self, number: int) -> None:
        p = self.pb.proposals
        title = f"品鉴会{self.prefix}{number}"
        draft = self.world.draft(title=title)
        key = f"p-{self.prefix}-{number}"
        created = self.balanced.call(number, lambda channel: self.cluster.stubs.proposals_grpc.ProposalServiceStub(channel)
                                     .CreateProposal(p.CreateProposalRequest(draft=draft),
                                                     metadata=self.seller + [("idempotency-key", "c" + key)], timeout=T))
        self.balanced.call(number, lambda channel: self.cluster.stubs.proposals_grpc.ProposalServiceStub(channel)
                           .SubmitProposal(p.ProposalRequest(proposal_id=created.id),
                                           metadata=self.seller + [("idempotency-key", "s" + key)], timeout=T))
        with self.lock:
            self.proposals[title] = created.id

    def close(self, number: int, week: str) -> None:
        request = self.pb.settlements.CloseWeekRequest(week=week, before_end=True)
        answer = self.balanced.call(number, lambda channel: self.cluster.stubs.settlements_grpc.SettlementServiceStub(channel)
                                    .CloseWeek(request, metadata=self.admin, timeout=60))
        with self.lock:
            self.closes[week].append(answer.closed_now)

    def make_decisions_due(self) -> None:
        """This run's first-level decision deadlines, due now (nobody decides). Only a timer row
        still at its first schedule (generation 1): a firing escalates and schedules the next
        level's deadline on the same row, and that one must keep its 30 minutes. (A condition on
        the proposal alone would race with the firing: PostgreSQL re-checks only the updated row.)"""
        self.cluster.query("proposals", """
            UPDATE xsc_timers t SET due_at = now(), fire_at = now()
            FROM proposals p
            WHERE t.kind = 'proposal.decision' AND t.state = 'pending' AND t.generation = 1 AND t.subject_id = p.id
              AND p.escalations = 0 AND p.title LIKE :'p1'
            RETURNING 1""", f"品鉴会{self.prefix}%")


def fill_far_weeks(cluster: Cluster, weeks: list[datetime]) -> None:
    for start in weeks:
        cluster.query("settlements", """
            INSERT INTO reward_lines (id, kind, level, order_id, order_code, event_id, region_id, dealer_account_id,
                payee_account_id, sales_fen, amount_fen, rule_version, occurred_at, period_start, created_at)
            SELECT gen_random_uuid()::text, 'reward', 1, 'far-' || :'p2' || '-' || i, 'F' || i, 'far-' || :'p2' || '-' || i,
                'cq', 'dealer-' || (i % 5), 'payee-' || (i % 400), 10000 + i % 97, 300 + i % 13, 1,
                to_timestamp(:'p1'::bigint / 1000.0) + (i % 600000) * interval '1 second',
                to_timestamp(:'p1'::bigint / 1000.0), now()
            FROM generate_series(1, :'p3'::int) AS i
            RETURNING 1""", str(ms(start)), week_name(start), str(LINES_PER_WEEK))


def test_newer_services_replicas_killed_one_at_a_time_lose_and_duplicate_nothing(world):
    cluster = world.cluster
    world.settings(decision=1800)  # the 30-minute decision window (made due by the test)
    prefix = uuid.uuid4().hex[:6]
    base = week_start(datetime.now(SHANGHAI)) + timedelta(weeks=30)
    far_weeks = [base + timedelta(weeks=index) for index in range(WEEKS)]
    fill_far_weeks(cluster, far_weeks)
    load = Load(world, prefix, far_weeks)
    stop = threading.Event()
    numbers = itertools.count(1)
    week_index = [0]
    recoveries: list[tuple[str, float, float]] = []

    def customers():
        while not stop.is_set():
            load.customer(next(numbers))
            time.sleep(THINK_S)

    def proposals():
        while not stop.is_set():
            load.proposal(next(numbers))
            time.sleep(THINK_S)

    def deadlines():
        while not stop.is_set():
            load.make_decisions_due()
            time.sleep(0.3)

    def closes(side: int):
        # Both sides close the same week at once, again and again, until the week moves on.
        while not stop.is_set():
            load.close(side, week_name(far_weeks[min(week_index[0], WEEKS - 1)]))
            time.sleep(0.2)

    started = time.monotonic()
    jobs = [customers, customers, proposals, proposals, deadlines, lambda: closes(0), lambda: closes(1)]
    with ThreadPoolExecutor(len(jobs)) as pool:
        workers = [pool.submit(job) for job in jobs]
        try:
            eventually("the first customers and proposals answered",
                       lambda: len(load.customers) >= 4 and len(load.proposals) >= 4)
            for victim in KILLS:
                killed_at = time.monotonic()
                cluster.kill_service(victim)
                eventually(f"answers after killing {victim}",
                           lambda: sum(1 for t in list(load.balanced.answered_at) if t > killed_at) >= 8)
                time.sleep(max(0.0, DOWN_S - (time.monotonic() - killed_at)))
                cluster.start_service(victim)
                # One replica at a time: the next kill waits until both gateways answer again.
                with load.balanced.lock:
                    before = dict(load.balanced.answered_by)
                eventually(f"both gateways answer after {victim} is back",
                           lambda: all(load.balanced.answered_by[g] > before.get(g, 0) + 2 for g in cluster.instances("gateway")))
                recoveries.append((victim, time.monotonic() - killed_at, DOWN_S))
                week_index[0] += 1
        finally:
            stop.set()
            for future in workers:
                future.result()
    elapsed = time.monotonic() - started
    cluster.assert_all_running()
    for week in far_weeks:  # every week closed by now (the last ones after the last kill)
        load.close(0, week_name(week))

    # -- customers: none lost or duplicated, each reminder fired once, its SMS arrived once --------
    ids = "{" + ",".join(customer_id for customer_id, _ in load.customers.values()) + "}"
    rows = cluster.query("customers", """
        SELECT c.id, c.phones[1], (SELECT count(*) FROM follow_ups f WHERE f.customer_id = c.id)
        FROM customers c WHERE c.name LIKE :'p1'""", f"客户{prefix}%")
    assert sorted((row[1], row[0]) for row in rows) == sorted((phone, cid) for phone, (cid, _) in load.customers.items()), \
        "every customer the callers were told about exists once, under that id"
    assert {row[2] for row in rows} == {"1"}, "one follow-up each (retries carried the same key)"

    def reminders_fired():
        states = cluster.query("customers", """
            SELECT state, count(*) FROM xsc_timers WHERE kind = 'customers.followup_due' AND subject_id = ANY(:'p1'::text[])
            GROUP BY state""", ids)
        return dict(states).get("fired") == str(len(load.customers)) and len(states) == 1
    eventually("every follow-up reminder fired", reminders_fired)
    reminder_bodies = eventually("every reminder SMS queued", lambda: (found := cluster.query("notifications", """
        SELECT body FROM messages WHERE template = 'followup_reminder' AND body LIKE :'p1'""", f"%客户{prefix}%"))
        and len(found) >= len(load.customers) and found)
    # The template reads "客户{customer}，{due}前跟进": the name ends at the comma.
    names = {name for _, name in load.customers.values()}
    per_customer = Counter(next((name for name in names if f"{name}，" in body[0]), None) for body in reminder_bodies)
    assert None not in per_customer and set(per_customer.values()) == {1} and len(per_customer) == len(load.customers), \
        f"one reminder SMS per customer: {Counter(per_customer.values())}"

    # -- proposals: none lost or duplicated, each first deadline fired once ------------------------
    titles = cluster.query("proposals", "SELECT id, title, escalations FROM proposals WHERE title LIKE :'p1'",
                           f"品鉴会{prefix}%")
    assert sorted((row[1], row[0]) for row in titles) == sorted(load.proposals.items()), \
        "every proposal the callers were told about exists once, under that id"
    proposal_ids = "{" + ",".join(load.proposals.values()) + "}"

    def all_escalated():
        load.make_decisions_due()
        escalated = cluster.query("proposals", "SELECT escalations, count(*) FROM proposals WHERE id = ANY(:'p1'::text[]) GROUP BY 1",
                                  proposal_ids)
        return "0" not in dict(escalated) and escalated
    escalations = dict(eventually("every first decision deadline fired", all_escalated))
    assert escalations == {"1": str(len(load.proposals))}, f"first deadlines fired other than once: {escalations}"
    violations = cluster.query("proposals", """
        SELECT event_id, proposal_id, person FROM violations WHERE proposal_id = ANY(:'p1'::text[]) AND rule = 'proposal_decision'
        """, proposal_ids)
    per_proposal = Counter(row[1] for row in violations)
    assert set(per_proposal) == set(load.proposals.values()) and set(per_proposal.values()) == {1}, \
        f"one decision violation (the team admin's) per proposal: {Counter(per_proposal.values())}"
    assert {row[2] for row in violations} == {world.id(ADMIN7)}

    # -- outbox events arrived once: settlements booked each violation once -----------------------
    events = "{" + ",".join(row[0] for row in violations) + "}"

    def booked():
        found = cluster.query("settlements", """
            SELECT event_id, count(*) FROM violations WHERE source = 'proposal' AND event_id = ANY(:'p1'::text[]) GROUP BY 1""",
                              events)
        return len(found) == len(violations) and found
    booked_rows = eventually("settlements booked every proposal violation", booked)
    assert {row[1] for row in booked_rows} == {"1"}, "each violation booked once"

    def escalation_messages():
        found = cluster.query("notifications", """
            SELECT body, recipient_account_id FROM messages WHERE template = 'proposal_escalated' AND body LIKE :'p1'""",
                              f"%品鉴会{prefix}%")
        return len(found) >= len(load.proposals) and found
    messages = eventually("the escalation SMS of every proposal", escalation_messages)
    # The template quotes the title: 提案“{title}”.
    per_title_and_recipient = Counter((next((t for t in load.proposals if f"“{t}”" in body), None), recipient)
                                      for body, recipient in messages)
    assert set(per_title_and_recipient.values()) == {1}, "one escalation message per proposal and superior"
    assert {title for title, _ in per_title_and_recipient} == set(load.proposals)

    # -- settlements: every week closed once ------------------------------------------------------
    for start in far_weeks:
        name = week_name(start)
        closes = cluster.query("settlements", "SELECT statement_count FROM period_closes WHERE week_name = :'p1'", name)
        rows = cluster.query("settlements", """
            SELECT count(*), count(DISTINCT (dealer_account_id, payee_account_id)), coalesce(sum(line_count), 0)
            FROM statements WHERE week_name = :'p1'""", name)
        statements, pairs, lines = (int(v) for v in rows[0])
        assert len(closes) == 1, f"{name}: one close, found {closes}"
        assert statements == pairs == int(closes[0][0]) == len({(i % 5, i % 400) for i in range(1, LINES_PER_WEEK + 1)}), name
        assert lines == LINES_PER_WEEK, name
        told = load.closes[name]
        assert told.count(True) <= 1, f"{name}: two callers were told they closed it"

    # -- logs ---------------------------------------------------------------------------------------
    for instance in cluster.processes:
        for line in cluster.output(instance).splitlines():
            assert "prepared statement" not in line and "Fatal error" not in line, f"{instance}: {line}"
    closes_told = sum(answers.count(True) for answers in load.closes.values())
    print(f"\nreplicas: {', '.join(f'{name} x{count}' for name, count in REPLICAS.items())}, orders x1, notifications x1; "
          f"{elapsed:.1f} s under load")
    print(f"customers {len(load.customers)} (lost 0, duplicated 0), reminders fired {len(load.customers)} (each once); "
          f"proposals {len(load.proposals)} (lost 0, duplicated 0), first decision deadlines fired {len(load.proposals)} "
          f"(each once), violations booked by settlements {len(booked_rows)} (each once), escalation SMS {len(messages)}")
    print(f"weeks closed {len(far_weeks)} x {LINES_PER_WEEK} lines, close calls {sum(map(len, load.closes.values()))} "
          f"(told 'closed now' {closes_told}, each week closed once)")
    print(f"answered by: {dict(load.balanced.answered_by)}; calls retried on the other gateway: {dict(load.balanced.retried)}")
    for victim, whole, down in recoveries:
        print(f"  killed {victim:15s} (down {down:.0f} s): both gateways answering again after {whole:4.1f} s")
