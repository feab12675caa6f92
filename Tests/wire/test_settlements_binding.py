"""The permanent binding pays (DOMAIN.md: "later orders of that customer reward that
intermediary"), across three real services: an alliance order's referrer binds its customer in
customers (orders' ReferrerSeen event); a later order of the same customer carries no referrer;
its return visit reaches settlements, which asks customers (GetRewardee, signed as its SYSTEM
actor) and books the reward to the bound intermediary."""
from __future__ import annotations

import uuid

import pytest

import orders_world
from cluster_support import Cluster, eventually
from orders_world import World

T = 30
CUSTOMER_PHONE = "13700006666"


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    with Cluster.started(tmp_path_factory.mktemp("binding"),
                         services=("gateway", "orders", "notifications", "customers", "settlements")) as running:
        yield running
        running.assert_all_running()


@pytest.fixture(scope="module")
def world(cluster):
    built = World(cluster).build()
    gw = cluster.stubs.gateway
    account = built.accounts.CreateAccount(gw.CreateAccountRequest(
        name="重庆片区经理", phone="13600009901", role=gw.ACCOUNT_ROLE_REGIONAL_MANAGER, node_path="/hq/cq",
        initial_password=orders_world.PASSWORD), metadata=built.admin, timeout=T)
    built.people["cq_manager"] = orders_world.Person("cq_manager", account.id, "13600009901",
                                                     cluster.login("13600009901", orders_world.PASSWORD))
    eventually("the manager reached settlements' directory", lambda: cluster.query(
        "settlements", "SELECT 1 FROM xsc_directory WHERE account_id = :'p1'", account.id) == [["1"]])
    pb = cluster.stubs.settlements
    settlements = cluster.stubs.settlements_grpc.SettlementServiceStub(cluster.gateway_channel())
    settlements.SetRewardRule(pb.SetRewardRuleRequest(region_id="cq", percent_basis_points=300),
                              metadata=built.who("cq_manager") + [("idempotency-key", uuid.uuid4().hex)], timeout=T)
    return built


def test_a_later_order_without_referrer_rewards_the_bound_intermediary(cluster, world):
    referrer = world.id("referrer")
    first = world.submit("alliance-site", world.order_request("alliance", "cq-o1-d3", external_id="site-" + uuid.uuid4().hex[:8],
                                                              referrer=referrer, phone=CUSTOMER_PHONE))
    assert first.id

    def bound():
        rows = cluster.query("customers", "SELECT count(*) FROM customers WHERE bound_intermediary = :'p1'", referrer)
        return rows == [["1"]]
    eventually("customers bound the alliance order's customer to its referrer", bound)

    later = world.submit("cq_lead", world.order_request("self", "cq-o1-d3", phone=CUSTOMER_PHONE))
    world.to_delivered(later.id)
    world.visit(later.id, "cq_lead", {"bj-500": 3, "bj-250": 1})

    def booked():
        rows = cluster.query("settlements", "SELECT payee_account_id, level, amount_fen FROM reward_lines WHERE order_id = :'p1'",
                             later.id)
        return rows or None
    lines = eventually("settlements booked the later order's reward", booked)
    # 3 % of the actual sales (3 x 12,800 + 6,800 = 45,200 fen) is 1,356 fen, to the bound intermediary.
    assert lines == [[referrer, "1", "1356"]], lines
