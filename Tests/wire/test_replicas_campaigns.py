"""Two replicas of campaigns (and of the gateway) behind the gateways, one campaigns replica
SIGKILLed around a deadline and the other while the results go out, and nothing lost or done
twice (issue 19, "Replicas proven", for the campaigns service; test_replicas.py and
test_replicas_newer.py do the other services).

The processes run on one machine against one fresh database (cluster_support, `replicas=`):
gateway x2, campaigns x2, with one orders, notifications and settlements (the organisation and
the directory of test_campaigns.py's `world`). gateway-2 forwards to campaigns-2 (cluster_support's
wiring). Callers balance joins over the two gateways as a load balancer would (test_replicas_newer's
`Balanced`): a call whose outcome is unknown moves to the other gateway and is retried with the
same idempotency key.

Three campaigns with deadlines a few seconds ahead: "stocked" (min 5, bj-500 capped at 12 units,
more wanted than that), "failing" (min 10000) and "late" (min 3, its deadline some seconds after
the others). Joins run through both gateways until the deadlines; `campaigns` is killed just
before the first deadline and restarted after DOWN_S, then `campaigns-2` is killed while the
results are going out (before the late deadline) and restarted. Checked afterwards:

- every join a caller was told about exists once under that id (one per phone), and none exists
  that no caller was told about;
- each campaign was decided once (its deadline timer fired once), succeeded or failed as the
  joined units imply, and every participation was released (ordered / cancelled with refund due);
- every participation of a successful campaign became exactly one order in orders' database
  (external id = participation id), none of the failed one did;
- every participant got exactly one result SMS (已成团 or 未达到成团数量) in the development SMS file;
- no stock oversold: reserved <= cap, and reserved = the units of the participations.

Figures are printed. Needs DATABASE_URL."""
from __future__ import annotations

import threading
import time
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import grpc
import pytest

from cluster_support import Cluster, eventually
from test_campaigns import create, reason, world  # noqa: F401  (world: the module's fixture, built on this cluster)
from test_replicas_newer import Balanced

SERVICES = ("gateway", "orders", "notifications", "settlements", "campaigns")
REPLICAS = {"gateway": 2, "campaigns": 2}
LEASE_MS = "3000"
DOWN_S = 2.0
T = 10  # per-call liveness bound
DEADLINE_S = 14.0  # from creation; every campaign is created first, then joined
LATE_S = 8.0       # the late campaign's deadline after the others
STOCK = 12
THINK_S = 0.2
SERVICE_ENV = {
    "gateway": {"XSC_CLAIM_LEASE_MS": LEASE_MS, "XSC_GATEWAY_REPLICAS": "2"},
    "campaigns": {"XSC_CLAIM_LEASE_MS": LEASE_MS},
    "orders": {"XSC_CLAIM_LEASE_MS": LEASE_MS},
    # Participants' SMS are customer messages: no quiet hours in the test.
    "notifications": {"XSC_CLAIM_LEASE_MS": LEASE_MS, "XSC_SMS_RATE_LIMIT": "100000/1s", "XSC_SMS_QUIET_HOURS": "off"},
}
SUCCESS_TEXT, FAILURE_TEXT = "已成团", "未达到成团数量"


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    with Cluster.started(tmp_path_factory.mktemp("replicas-campaigns"), services=SERVICES, env=SERVICE_ENV,
                         replicas=REPLICAS) as running:
        yield running


class Joins:
    """Joins through both gateways; what the callers were told."""

    def __init__(self, cluster: Cluster, world_, prefix: str):
        self.cluster, self.world, self.prefix = cluster, world_, prefix
        self.balanced = Balanced(cluster)
        self.told: dict[str, tuple[str, str, int]] = {}  # participation id -> (campaign id, phone, units)
        self.refused: Counter = Counter()
        self.lock = threading.Lock()

    def join(self, number: int, campaign, units: int) -> None:
        pb = self.cluster.stubs.campaigns
        phone = "13%s%05d" % (self.prefix, number)
        request = pb.JoinCampaignRequest(campaign_id=campaign.id, customer_name="邻居" + phone[-4:], customer_phone=phone,
                                         pickup_point_id="p1" if number % 2 else "p2",
                                         lines=[pb.JoinLine(sku_id="bj-500", quantity=units)])
        metadata = self.world.who("referrer") + [("idempotency-key", f"join-{self.prefix}-{number}")]
        try:
            while True:
                try:
                    answer = self.balanced.call(number, lambda channel: self.cluster.stubs.campaigns_grpc.CampaignServiceStub(channel)
                                                .JoinCampaign(request, metadata=metadata, timeout=T))
                    break
                except grpc.RpcError as busy:
                    # Overloaded (make test runs every module at once): the same join again, same key.
                    if busy.code() != grpc.StatusCode.RESOURCE_EXHAUSTED:
                        raise
                    with self.lock:
                        self.refused["busy, retried"] += 1
                    time.sleep(0.1)
        except grpc.RpcError as error:
            # Sold out, or the deadline passed while a retry waited: the caller was told "no".
            assert error.code() == grpc.StatusCode.FAILED_PRECONDITION, error
            with self.lock:
                self.refused[reason(self.cluster, error) or error.code().name] += 1
            return
        participation = answer.participation
        assert participation.customer_phone == phone and participation.campaign_id == campaign.id
        with self.lock:
            self.told[participation.id] = (campaign.id, phone, units)


def test_campaigns_replicas_killed_around_the_deadline_lose_and_duplicate_nothing(cluster, world):
    pb = cluster.stubs.campaigns
    prefix = "%04d" % (uuid.uuid4().int % 10000)
    created_at = time.time()
    stocked = create(cluster, world, min_quantity=5, deadline_s=DEADLINE_S, stock=STOCK)
    failing = create(cluster, world, min_quantity=10000, deadline_s=DEADLINE_S)
    late = create(cluster, world, min_quantity=3, deadline_s=DEADLINE_S + LATE_S)
    campaigns = {c.id: c for c in (stocked, failing, late)}
    names = {stocked.id: "stocked", failing.id: "failing", late.id: "late"}
    deadline = {c.id: c.deadline_ms / 1000.0 for c in campaigns.values()}
    joins = Joins(cluster, world, prefix)
    numbers = iter(range(1, 100000))
    numbers_lock = threading.Lock()
    kills: list[tuple[str, float]] = []

    def joiner(side: int):
        order = [stocked, failing, late]
        step = side
        while True:
            open_ = [c for c in order if time.time() < deadline[c.id] - 0.3]
            if not open_:
                return
            campaign = open_[step % len(open_)]
            step += 1
            with numbers_lock:
                number = next(numbers)
            joins.join(number, campaign, 1 + number % 2)
            time.sleep(THINK_S)

    def killer():
        # campaigns: down across the first deadline; campaigns-2: down while the results go out.
        first_deadline = deadline[stocked.id]
        time.sleep(max(0.0, first_deadline - 1.0 - time.time()))
        for victim in ("campaigns", "campaigns-2"):
            killed_at = time.monotonic()
            cluster.kill_service(victim)
            time.sleep(DOWN_S)
            cluster.start_service(victim)
            kills.append((victim, time.monotonic() - killed_at))
            time.sleep(0.5)

    started = time.monotonic()
    with ThreadPoolExecutor(5) as pool:
        workers = [pool.submit(joiner, side) for side in range(4)] + [pool.submit(killer)]
        for future in workers:
            future.result()
    load_s = time.monotonic() - started
    cluster.assert_all_running()
    assert {campaign_id for campaign_id, _, _ in joins.told.values()} == set(campaigns), "every campaign was joined"

    # -- every campaign decided; every participation released ------------------------------------
    def decided(campaign_id):
        rows = cluster.query("campaigns", """
            SELECT c.state, (SELECT count(*) FROM participations p WHERE p.campaign_id = c.id AND p.state = 'joined')
            FROM campaigns c WHERE c.id = :'p1'""", campaign_id)
        return rows[0][0] if rows[0][0] != "open" and rows[0][1] == "0" else None
    states = {cid: eventually(f"{names[cid]} decided and released", lambda cid=cid: decided(cid), timeout_s=90)
              for cid in campaigns}

    # -- joins: the ones the callers were told about, once each, and no others --------------------
    ids = "{" + ",".join(campaigns) + "}"
    rows = cluster.query("campaigns", """
        SELECT p.id, p.campaign_id, p.customer_phone, p.state, p.refund_due, sum(l.quantity)
        FROM participations p JOIN participation_lines l ON l.participation_id = p.id
        WHERE p.campaign_id = ANY(:'p1'::text[]) GROUP BY p.id""", ids)
    stored = {row[0]: (row[1], row[2], int(row[5])) for row in rows}
    assert stored == joins.told, (f"lost {sorted(set(joins.told) - set(stored))}, "
                                  f"untold {sorted(set(stored) - set(joins.told))}")
    per_phone = Counter(row[2] for row in rows)
    assert set(per_phone.values()) == {1}, f"a phone joined twice: {[p for p, n in per_phone.items() if n > 1]}"

    # -- each campaign decided once, as its joins imply --------------------------------------------
    units = Counter()
    for campaign_id, _, quantity in joins.told.values():
        units[campaign_id] += quantity
    expected = {cid: "succeeded" if units[cid] >= campaigns[cid].min_quantity else "failed" for cid in campaigns}
    assert states == expected, f"decided {states}, joined units {dict(units)}"
    assert expected[failing.id] == "failed" and expected[stocked.id] == "succeeded" and expected[late.id] == "succeeded"
    timers = cluster.query("campaigns", """
        SELECT subject_id, state FROM xsc_timers WHERE kind = 'campaign-deadline' AND subject_id = ANY(:'p1'::text[])""",
                           ids)
    assert sorted((row[0], row[1]) for row in timers) == sorted((cid, "fired") for cid in campaigns), timers
    for row in rows:
        want = ("ordered", "f") if states[row[1]] == "succeeded" else ("cancelled", "t")
        assert (row[3], row[4]) == want, row

    # -- no stock oversold -----------------------------------------------------------------------
    products = cluster.query("campaigns", """
        SELECT campaign_id, sku_id, stock_cap, reserved FROM campaign_products WHERE campaign_id = ANY(:'p1'::text[])""", ids)
    for campaign_id, sku, cap, reserved in products:
        joined = units[campaign_id] if sku == "bj-500" else 0
        assert int(reserved) == joined, (names[campaign_id], sku, reserved, joined)
        assert int(cap) == 0 or int(reserved) <= int(cap), (names[campaign_id], sku, reserved, cap)
    assert units[stocked.id] <= STOCK

    # -- one order per successful participation ----------------------------------------------------
    succeeded = sorted(pid for pid, (cid, _, _) in joins.told.items() if states[cid] == "succeeded")
    everyone = "{" + ",".join(joins.told) + "}"

    def placed():
        found = cluster.query("orders", """
            SELECT external_id, count(*) FROM orders
            WHERE source = 'groupbuy_platform' AND partner_id = 'svc-campaigns' AND external_id = ANY(:'p1'::text[])
            GROUP BY 1""", everyone)
        return found if len(found) >= len(succeeded) else None
    orders = eventually("every successful participation is an order", placed, timeout_s=90)
    assert sorted(row[0] for row in orders) == succeeded, "orders only for the successful campaigns' participations"
    assert {row[1] for row in orders} == {"1"}, "each participation placed once"

    # -- one result SMS per participant ------------------------------------------------------------
    phones = {phone: states[cid] for cid, phone, _ in joins.told.values()}

    def texted():
        lines = [line for line in cluster.sms_lines()
                 if line["to"] in phones and (SUCCESS_TEXT in line["text"] or FAILURE_TEXT in line["text"])]
        return lines if len({line["to"] for line in lines}) == len(phones) else None
    eventually("every participant's result SMS", texted, timeout_s=90)
    time.sleep(1.0)  # a duplicate sent late would show now
    lines = texted()
    per_participant = Counter(line["to"] for line in lines)
    assert set(per_participant.values()) == {1}, f"result SMS other than once: {Counter(per_participant.values())}"
    for line in lines:
        assert (SUCCESS_TEXT in line["text"]) == (phones[line["to"]] == "succeeded"), line

    for instance in cluster.processes:
        for line in cluster.output(instance).splitlines():
            assert "Fatal error" not in line, f"{instance}: {line}"
    per_campaign = Counter(names[cid] for cid, _, _ in joins.told.values())
    print(f"\nreplicas: gateway x2, campaigns x2; orders, notifications, settlements x1; joins for {load_s:.1f} s")
    print(f"kills: {', '.join(f'{victim} (back after {whole:.1f} s)' for victim, whole in kills)}")
    print(f"joins told {len(joins.told)} ({dict(per_campaign)}; refused {dict(joins.refused)}), lost 0, duplicated 0; "
          f"units {({names[c]: u for c, u in units.items()})}, stocked cap {STOCK}")
    print(f"decided: {({names[c]: s for c, s in states.items()})} (each deadline fired once); "
          f"orders {len(orders)} (each once); result SMS {len(lines)} (each participant once)")
    print(f"answered by: {dict(joins.balanced.answered_by)}; calls retried on the other gateway: {dict(joins.balanced.retried)}")
