"""Proposals' violations reach the ledger in settlements (through the proposals outbox and
RecordProposalViolation): a superior who let the decision window pass finds the miss on its own
violation list, with the proposal area as source, once."""
from __future__ import annotations

import pytest

from cluster_support import Cluster, eventually
from proposals_world import ADMIN7, DISTRICT_LEAD, T, World


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    with Cluster.started(tmp_path_factory.mktemp("proposals-ledger"),
                         services=("gateway", "orders", "notifications", "proposals", "settlements")) as running:
        yield running
        running.assert_all_running()


def test_a_missed_decision_is_on_the_superiors_violation_list_once(cluster):
    world = World(cluster)
    world.settings(decision=2)
    proposal = world.submitted()
    eventually("the district lead is asked after the window", lambda: world.sms_to(DISTRICT_LEAD, "社区品鉴会"))
    world.settings(decision=600)
    world.decide(proposal.id, ADMIN7, comment="晚了，但批准")
    ledger = cluster.stubs.settlements_grpc.SettlementServiceStub(cluster.gateway_channel())
    request = cluster.stubs.settlements.ListViolationsRequest(person_account_id=world.id(ADMIN7))

    def listed():
        rows = ledger.ListViolations(request, metadata=world.as_(ADMIN7), timeout=T).violations
        return [v for v in rows if v.source == "proposal" and proposal.id in v.reference]
    found = eventually("the violation in settlements' ledger", listed)
    assert [v.rule for v in found] == ["proposal_decision"]
    assert found[0].person_account_id == world.id(ADMIN7)
    delivered = cluster.query("proposals", """
        SELECT count(*) FROM xsc_outbox WHERE state = 'delivered'
          AND method_path = '/xsc.settlements.v1.SettlementService/RecordProposalViolation'""")
    assert int(delivered[0][0]) >= 1
