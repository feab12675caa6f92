"""The proposals wire tests' world: the seeded drill (team t7 under district d3) plus a second
salesperson on t7 and a team t8 beside it, all fed to the proposals service by the gateway's
directory feed; helpers to call ProposalService through the gateway as a person."""
from __future__ import annotations

import time
import uuid

import grpc

from cluster_support import Cluster, eventually

T = 30  # per-call liveness bound
TEAM = "/hq/cq/cq-o1/cq-o1-d3/t7"
OTHER_TEAM = "/hq/cq/cq-o1/cq-o1-d3/t8"
ADMIN7 = "13900000006"      # team_admin of t7: the first superior
ZHAO = "13900000007"        # salesperson on t7: the proposer
HUANG = "13900000008"       # intermediary on t7: a member too
DISTRICT_LEAD = "13900000004"
OFFICE_LEAD = "13900000003"
QIAN = "13900000017"        # a second salesperson on t7 (made here)
EVE = "13900000027"         # a salesperson on t8 (made here)
PASSWORD = "drill-password-2026"


class World:
    def __init__(self, cluster: Cluster):
        self.cluster = cluster
        self.pb = cluster.stubs
        self.stub = self.pb.proposals_grpc.ProposalServiceStub(cluster.gateway_channel())
        cluster.seed_drill()
        gateway = self.pb.gateway
        nodes = self.pb.gateway_grpc.OrgServiceStub(cluster.gateway_channel())
        try:
            nodes.CreateNode(gateway.CreateNodeRequest(parent_path="/hq/cq/cq-o1/cq-o1-d3", slug="t8", name="第八团购小组",
                                                       kind=gateway.NODE_KIND_TEAM), metadata=cluster.admin(), timeout=T)
        except grpc.RpcError as error:
            assert error.code() == grpc.StatusCode.ALREADY_EXISTS, error
        accounts = self.pb.gateway_grpc.AccountServiceStub(cluster.gateway_channel())
        for phone, name, node in ((QIAN, "业务员 钱", TEAM), (EVE, "业务员 伊", OTHER_TEAM)):
            try:
                accounts.CreateAccount(gateway.CreateAccountRequest(
                    name=name, phone=phone, role=gateway.ACCOUNT_ROLE_SALESPERSON, node_path=node,
                    initial_password=PASSWORD), metadata=cluster.admin(), timeout=T)
            except grpc.RpcError as error:
                assert error.code() == grpc.StatusCode.ALREADY_EXISTS, error
        self.ids = cluster.account_ids()
        expected = [self.ids[p] for p in (ADMIN7, ZHAO, HUANG, DISTRICT_LEAD, OFFICE_LEAD, QIAN, EVE)]

        def fed():
            rows = cluster.query("proposals", "SELECT account_id FROM xsc_directory WHERE enabled")
            return set(expected) <= {row[0] for row in rows}
        eventually("the gateway's directory feed reaches proposals", fed)

    def id(self, phone: str) -> str:
        return self.ids[phone]

    def as_(self, phone: str, key: str | None = None) -> list[tuple[str, str]]:
        metadata = list(self.cluster.session(phone))
        if key is not None:
            metadata.append(("idempotency-key", key))
        return metadata

    def settings(self, decision: int = 1800, grace: int = 1800, review: int = 86400, reminder: int = 0):
        p = self.pb.proposals
        return self.stub.SetTeamSettings(p.SetTeamSettingsRequest(settings=p.TeamSettings(
            team_path=TEAM, decision_window_seconds=decision, report_grace_seconds=grace,
            review_window_seconds=review, reminder_lead_seconds=reminder)), metadata=self.as_(ADMIN7), timeout=T)

    def draft(self, start_s: float = 3600, checkpoint_s: float = 5400, finish_s: float = 7200, participants=None,
              title: str = "社区品鉴会"):
        now = int(time.time() * 1000)
        return self.pb.proposals.ProposalDraft(
            title=title, purpose="让新小区认识我们的酒", content="周六在小区会所办一场品鉴会", resources="样酒 12 瓶",
            participant_account_ids=participants or [self.id(ZHAO), self.id(QIAN)],
            start_at_ms=now + int(start_s * 1000), finish_at_ms=now + int(finish_s * 1000),
            checkpoint_at_ms=[now + int(checkpoint_s * 1000)])

    def submitted(self, draft=None, proposer: str = ZHAO):
        p = self.pb.proposals
        created = self.stub.CreateProposal(p.CreateProposalRequest(draft=draft or self.draft()),
                                           metadata=self.as_(proposer, "c-" + uuid.uuid4().hex), timeout=T)
        return self.stub.SubmitProposal(p.ProposalRequest(proposal_id=created.id),
                                        metadata=self.as_(proposer, "s-" + uuid.uuid4().hex), timeout=T)

    def decide(self, proposal_id: str, phone: str, execute: bool = True, comment: str = "同意"):
        p = self.pb.proposals
        return self.stub.DecideProposal(p.DecideRequest(
            proposal_id=proposal_id, decision=p.DECISION_EXECUTE if execute else p.DECISION_TERMINATE, comment=comment),
            metadata=self.as_(phone), timeout=T)

    def get(self, proposal_id: str, phone: str = ZHAO):
        return self.stub.GetProposal(self.pb.proposals.ProposalRequest(proposal_id=proposal_id), metadata=self.as_(phone), timeout=T)

    def sms_to(self, phone: str, containing: str) -> list[dict]:
        return [line for line in self.cluster.sms_lines() if line["to"] == phone and containing in line["text"]]

    def violations(self, proposal_id: str) -> list[tuple[str, str]]:
        """(rule, person) of the violations recorded for a proposal, and queued for settlements."""
        rows = self.cluster.query("proposals", """
            SELECT v.rule, v.person FROM violations v JOIN xsc_outbox o ON o.event_id = v.event_id
            WHERE v.proposal_id = :'p1'
              AND o.method_path = '/xsc.settlements.v1.SettlementService/RecordProposalViolation'
            ORDER BY v.recorded_at, v.rule, v.person
            """, proposal_id)
        return [(row[0], row[1]) for row in rows]

    def bad_fields(self, error: grpc.RpcError) -> list[str]:
        assert error.code() == grpc.StatusCode.INVALID_ARGUMENT, error
        return [v.field for d in self.pb.error_details(error) if isinstance(d, self.pb.details.BadRequest)
                for v in d.field_violations]
