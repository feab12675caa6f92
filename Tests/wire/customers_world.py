"""The organisation of the customers end-to-end tests (test_customers*.py), built the way an
operator would: nodes and accounts through xsc-gateway as the first-run hq_admin, catalog and
routing through the gateway to xsc-orders (so an alliance order for cq-o1-d3 is credited to
team t7 and its events reach xsc-customers through orders' outbox).

Two teams with customer areas: t7 (cq) and t1 (sc). The gateway feeds every account to
xsc-customers' directory through its outbox; `feed_directory` waits for it."""
from __future__ import annotations

import base64
import itertools
import time
from dataclasses import dataclass

import grpc

from cluster_support import ACTOR_SECRET, Cluster, eventually
from wire_support import run_xsc as xsc

PASSWORD = "customers-e2e-password"
T = 30  # per-call liveness bound only
TEAM_A = "/hq/cq/cq-o1/cq-o1-d3/t7"
TEAM_B = "/hq/sc/sc-o2/sc-o2-d1/t1"

NODES = [
    ("/hq", "cq", "REGION"), ("/hq/cq", "cq-o1", "OFFICE"),
    ("/hq/cq/cq-o1", "cq-o1-d3", "DISTRICT"), ("/hq/cq/cq-o1/cq-o1-d3", "t7", "TEAM"),
    ("/hq", "sc", "REGION"), ("/hq/sc", "sc-o2", "OFFICE"),
    ("/hq/sc/sc-o2", "sc-o2-d1", "DISTRICT"), ("/hq/sc/sc-o2/sc-o2-d1", "t1", "TEAM"),
]

# name -> (role, node)
PEOPLE = {
    "s1": ("SALESPERSON", TEAM_A), "s2": ("SALESPERSON", TEAM_A), "s3": ("SALESPERSON", TEAM_A),
    "admin_a": ("TEAM_ADMIN", TEAM_A), "ref": ("INTERMEDIARY", TEAM_A),
    "sb": ("SALESPERSON", TEAM_B), "admin_b": ("TEAM_ADMIN", TEAM_B),
    "cq_lead": ("OFFICE_ORDER_LEAD", "/hq/cq/cq-o1"), "cq_dealer": ("DEALER", "/hq/cq/cq-o1/cq-o1-d3"),
    "cq_cs": ("CUSTOMER_SERVICE", "/hq/cq"),
}

_phones = itertools.count(1)


@dataclass
class Person:
    name: str
    id: str
    phone: str
    role: str
    node: str
    metadata: list


def system_actor() -> list[tuple[str, bytes]]:
    minted = xsc("mint-actor", "--audience", "customers", "--account", "svc-gateway", "--role", "system", "--team", "/", "--plain",
                 env={"XSC_ACTOR_SECRET": ACTOR_SECRET})
    assert minted.returncode == 0, minted.stderr
    return [(name, base64.b64decode(value)) for name, value in (line.split(": ", 1) for line in minted.stdout.splitlines())]


class World:
    def __init__(self, cluster: Cluster):
        self.cluster = cluster
        self.pb = cluster.stubs
        gateway = cluster.gateway_channel()
        self.customers = self.pb.customers_grpc.CustomerServiceStub(gateway)
        self.orders = self.pb.orders_grpc.OrderServiceStub(gateway)
        self.org = self.pb.gateway_grpc.OrgServiceStub(gateway)
        self.accounts = self.pb.gateway_grpc.AccountServiceStub(gateway)
        self.admin = cluster.admin()
        self.people: dict[str, Person] = {}
        self.alliance_key: list = []

    def build(self) -> "World":
        gw = self.pb.gateway
        for parent, slug, kind in NODES:
            self.org.CreateNode(gw.CreateNodeRequest(parent_path=parent, slug=slug, name=slug,
                                                     kind=gw.NodeKind.Value("NODE_KIND_" + kind)), metadata=self.admin, timeout=T)
        for name, (role, node) in PEOPLE.items():
            phone = "1360000%04d" % next(_phones)
            account = self.accounts.CreateAccount(gw.CreateAccountRequest(
                name="成员" + name, phone=phone, role=gw.AccountRole.Value("ACCOUNT_ROLE_" + role), node_path=node,
                initial_password=PASSWORD), metadata=self.admin, timeout=T)
            self.people[name] = Person(name, account.id, phone, role.lower(), node, self.cluster.login(phone, PASSWORD))
        self.alliance_key = self.cluster.create_partner_key("alliance-site", "alliance")
        self.feed_directory()
        self._orders_setup()
        return self

    def feed_directory(self):
        """Waits until the gateway's directory feed (its outbox -> SetDirectoryEntry) has brought
        every account to xsc-customers: asking colleagues to follow up and transfers check it."""
        ids = {person.id for person in self.people.values()}

        def arrived():
            rows = self.cluster.query("customers", "SELECT account_id FROM xsc_directory WHERE enabled")
            return ids <= {row[0] for row in rows}
        eventually("every account reached the customers directory", arrived)

    def _orders_setup(self):
        pb = self.pb.orders
        self.orders.UpsertSku(pb.UpsertSkuRequest(sku=pb.Sku(sku_id="bj-500", name="52度 500ml", unit="bottle", active=True)),
                              metadata=self.admin, timeout=T)
        self.orders.SetGuidedPrice(pb.SetGuidedPriceRequest(sku_id="bj-500", max_price_fen=15800), metadata=self.admin, timeout=T)
        self.orders.SetRegionPrice(pb.SetRegionPriceRequest(region_id="cq", sku_id="bj-500", price_fen=12800),
                                   metadata=self.admin, timeout=T)
        routing = pb.DistrictRouting(district_id="cq-o1-d3", region_id="cq", office_id="cq-o1", credited_team_path=TEAM_A,
                                     office_lead_account_ids=[self.id("cq_lead")], dealer_account_ids=[self.id("cq_dealer")],
                                     escalation_account_ids=[self.id("cq_cs")])
        self.orders.SetDistrictRouting(pb.SetDistrictRoutingRequest(routing=routing), metadata=self.admin, timeout=T)

    # -- calls -------------------------------------------------------------------------------

    def who(self, name: str) -> list:
        return self.admin if name == "hq" else self.people[name].metadata

    def id(self, name: str) -> str:
        return self.people[name].id

    def call(self, method: str, who: str, request, key: str | None = None):
        metadata = list(self.who(who)) + ([("idempotency-key", key)] if key else [])
        return getattr(self.customers, method)(request, metadata=metadata, timeout=T)

    def customer_input(self, name: str = "张三", phones=("13800138000",), address: str = "重庆市渝中区解放碑1号", **fields):
        fields = {"district_id": "cq-o1-d3", "kind": self.pb.customers.CUSTOMER_KIND_GIFT, **fields}
        return self.pb.customers.CustomerInput(name=name, phones=list(phones), address=address, **fields)

    def create(self, who: str, key: str | None = None, **fields):
        return self.call("CreateCustomer", who, self.pb.customers.CreateCustomerRequest(customer=self.customer_input(**fields)), key)

    def refusal(self, call) -> grpc.RpcError:
        try:
            call()
        except grpc.RpcError as error:
            return error
        raise AssertionError("the call was not refused")

    def details_bytes(self, error: grpc.RpcError) -> bytes:
        return dict(error.trailing_metadata() or ()).get("grpc-status-details-bin", b"")

    def sms_to(self, name: str, fragment: str) -> list[dict]:
        phone = self.people[name].phone
        return [line for line in self.cluster.sms_lines() if line["to"] == phone and fragment in line["text"]]
