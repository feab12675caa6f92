"""kill -9 of customers, proposals and settlements (one instance each, no replica to take over)
during idempotent submissions from retrying clients, through the gateway: nothing lost, nothing
duplicated, and the time to the first success after the restart (issue 16's first row, for the
services test_crash_recovery.py does not cover; campaigns is killed around its deadlines in
test_replicas_campaigns.py).

Each service gets its own kind of submission, each call with its own idempotency key, retried
with that key while its outcome is unknown (the service died under it, or is restarting):

- customers: a salesperson creates customers (a new phone each);
- proposals: a salesperson creates proposals (a new title each);
- settlements: the regional manager records proven channel conflicts (a new reference each).

A third of the way in, the service is SIGKILLed and started again half a second later; the load
goes on until the service has answered again and at least SUBMISSIONS calls were answered. Then
the service's own database must hold every record a caller was told about, once, under the id
the caller was told, and nothing no caller was told about. `make soak` runs 10,000 submissions
(XSC_CRASH_ORDERS=10000). Figures are printed; asserted are counts only. Needs DATABASE_URL."""
from __future__ import annotations

import itertools
import os
import threading
import time
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import grpc
import pytest

from cluster_support import Cluster, eventually, until_answered
from proposals_world import World, ZHAO

SUBMISSIONS = int(os.environ.get("XSC_CRASH_ORDERS", "120"))
CALLERS = 8
T = 10  # per-call liveness bound
RETRY_FOR_S = 90.0
# The outcome is unknown: the same call again, same key. RESOURCE_EXHAUSTED is "not now" (the
# restarted service's admission while the backlog returns): also the same call again.
RETRIED = {grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED, grpc.StatusCode.INTERNAL,
           grpc.StatusCode.UNKNOWN, grpc.StatusCode.ABORTED, grpc.StatusCode.CANCELLED,
           grpc.StatusCode.RESOURCE_EXHAUSTED}
REGIONAL_MANAGER = "13900000001"
SERVICES = ("gateway", "orders", "notifications", "customers", "proposals", "settlements")
LEASE_ENV = {"XSC_CLAIM_LEASE_MS": "3000"}


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    with Cluster.started(tmp_path_factory.mktemp("crash-newer"), services=SERVICES,
                         env={name: LEASE_ENV for name in SERVICES}) as cluster:
        built = World(cluster)  # the drill, fed to proposals by the gateway's directory feed
        ids = built.ids
        for service in ("customers", "settlements"):
            eventually(f"the directory feed reaches {service}", lambda service=service: {ids[ZHAO], ids[REGIONAL_MANAGER]} <= {
                row[0] for row in cluster.query(service, "SELECT account_id FROM xsc_directory WHERE enabled")})
        yield built
        cluster.assert_all_running()


class Submissions:
    """Numbered submissions from CALLERS threads, each retried with its own key until answered;
    what each caller was told (number -> id) and when."""

    def __init__(self, submit):
        self.submit = submit  # submit(number, key) -> the id the caller is told
        self.told: dict[int, str] = {}
        self.retried: Counter = Counter()
        self.answer_times: list[float] = []
        self.lock = threading.Lock()
        self.killed_at = self.restarted_at = 0.0

    def one(self, number: int, run: str) -> None:
        key = f"crash-{run}-{number}"
        _, told = until_answered(lambda _: self.submit(number, key), retried_codes=RETRIED, give_up_after_s=RETRY_FOR_S,
                                 pause_s=0.1, retried=self.retried, lock=self.lock)
        with self.lock:
            self.told[number] = told
            self.answer_times.append(time.monotonic())

    def run_through_a_kill(self, cluster: Cluster, service: str, run: str) -> None:
        numbers = itertools.count()
        enough = threading.Event()

        def caller():
            while not (enough.is_set() and len(self.told) >= SUBMISSIONS):
                self.one(next(numbers), run)
        with ThreadPoolExecutor(CALLERS) as pool:
            callers = [pool.submit(caller) for _ in range(CALLERS)]
            eventually("a third answered", lambda: len(self.told) >= SUBMISSIONS // 3)
            self.killed_at = time.monotonic()
            cluster.kill_service(service)
            time.sleep(0.5)
            cluster.start_service(service)
            self.restarted_at = time.monotonic()
            after = len(self.told)
            eventually(f"{service} answers again", lambda: len(self.told) >= after + CALLERS)
            enough.set()
            for future in callers:
                future.result()

    def first_success_after(self, instant: float) -> float:
        with self.lock:
            return min((t for t in self.answer_times if t >= instant), default=float("nan")) - instant

    def check_and_print(self, what: str, stored: list[list[str]]) -> None:
        """stored: [number, id] of every record of the run in the service's database."""
        by_number: dict[int, list[str]] = {}
        for number, record_id in stored:
            by_number.setdefault(int(number), []).append(record_id)
        lost = [n for n in self.told if n not in by_number]
        duplicated = {n: ids for n, ids in by_number.items() if len(ids) > 1}
        untold = [n for n in by_number if n not in self.told]
        wrong_id = [n for n, told in self.told.items() if n in by_number and by_number[n] != [told]]
        print(f"\nkill -9 of {what}: {len(self.told)} idempotent submissions; lost {len(lost)}, duplicated "
              f"{len(duplicated)}, stored but never answered {len(untold)}; first success "
              f"{self.first_success_after(self.restarted_at) * 1000:.0f} ms after the restart "
              f"({self.first_success_after(self.killed_at) * 1000:.0f} ms after the kill); statuses retried "
              f"{dict(self.retried)}")
        assert self.retried, f"no call failed while {what} was down: the kill missed the load"
        assert not lost, f"lost: {lost[:10]}"
        assert not duplicated, f"duplicated: {list(duplicated.items())[:5]}"
        assert not wrong_id, f"told another id than the one stored: {wrong_id[:10]}"
        # A call cut by the kill after its commit, never retried, would be "stored, never
        # answered"; every caller retries until answered, so there is none.
        assert not untold, f"stored but no caller was told: {untold[:10]}"


def test_customers_killed_mid_create(world):
    cluster, c = world.cluster, world.pb.customers
    stub = cluster.stubs.customers_grpc.CustomerServiceStub(cluster.gateway_channel())
    seller = world.as_(ZHAO)
    run = uuid.uuid4().hex[:6]
    # A phone range of this run's own (the module runs once per cluster).
    base = 13_720_000_000 + int(run, 16) % 100 * 100_000

    def submit(number: int, key: str) -> str:
        request = c.CreateCustomerRequest(customer=c.CustomerInput(
            name=f"客户{number}号", phones=[str(base + number)], address=f"重庆市渝中区解放碑{number}号",
            district_id="cq-o1-d3", kind=c.CUSTOMER_KIND_GIFT))
        return stub.CreateCustomer(request, metadata=seller + [("idempotency-key", key)], timeout=T).customer.id

    load = Submissions(submit)
    load.run_through_a_kill(cluster, "customers", run)
    stored = cluster.query("customers", """
        SELECT p.phone::bigint - :'p1'::bigint, c.id FROM customers c JOIN customer_phones p ON p.customer_id = c.id
        WHERE p.phone::bigint BETWEEN :'p1'::bigint AND :'p1'::bigint + 99999
        """, str(base))
    load.check_and_print("customers", stored)


def test_proposals_killed_mid_create(world):
    cluster, p = world.cluster, world.pb.proposals
    stub = cluster.stubs.proposals_grpc.ProposalServiceStub(cluster.gateway_channel())
    seller = world.as_(ZHAO)
    run = uuid.uuid4().hex[:6]

    drafts: dict[int, object] = {}  # a retry sends the very same request (its times included)

    def submit(number: int, key: str) -> str:
        draft = drafts.setdefault(number, world.draft(title=f"品鉴会 {run} 第{number}场"))
        return stub.CreateProposal(p.CreateProposalRequest(draft=draft), metadata=seller + [("idempotency-key", key)],
                                   timeout=T).id

    load = Submissions(submit)
    load.run_through_a_kill(cluster, "proposals", run)
    stored = cluster.query("proposals", """
        SELECT substring(title from '第([0-9]+)场'), id FROM proposals WHERE title LIKE :'p1'
        """, f"品鉴会 {run} 第%")
    load.check_and_print("proposals", stored)


def test_settlements_killed_mid_record(world):
    cluster, s = world.cluster, world.pb.settlements
    stub = cluster.stubs.settlements_grpc.SettlementServiceStub(cluster.gateway_channel())
    manager = world.as_(REGIONAL_MANAGER)
    person = world.id(ZHAO)
    run = uuid.uuid4().hex[:6]

    occurred = int(time.time() * 1000) - 60_000  # one instant: a retry sends the very same request

    def submit(number: int, key: str) -> str:
        request = s.RecordChannelConflictRequest(
            person_account_id=person, **{"class": s.VIOLATION_CLASS_GENERAL}, reference=f"CC-{run}-{number}",
            detail="跨渠道销售，已核实", occurred_at_ms=occurred)
        return stub.RecordChannelConflict(request, metadata=manager + [("idempotency-key", key)], timeout=T).violation_id

    load = Submissions(submit)
    load.run_through_a_kill(cluster, "settlements", run)
    stored = cluster.query("settlements", """
        SELECT substring(reference from '[0-9]+$'), id FROM violations WHERE reference LIKE :'p1'
        """, f"CC-{run}-%")
    load.check_and_print("settlements", stored)
