"""The organisation of the orders end-to-end tests (test_orders_gateway.py), created the way an
operator would: through xsc-gateway as the first-run hq_admin (OrgService, AccountService,
PartnerKeyService), then the catalog and the district routing through the gateway to xsc-orders.
Every person logs in with a real session; partners call with real API keys.

Three regions: cq (office cq-o1; district d3 with a district lead, d4 whose SLA is a few
seconds), sc (office sc-o2) and gz (office gz-o1, the reports' known data set; district d2 has a
2-second SLA). Prices per region are the price tables below."""
from __future__ import annotations

import itertools
from dataclasses import dataclass

from cluster_support import Cluster, eventually

PASSWORD = "orders-e2e-password"
T = 30  # per-call liveness bound only
SLA_SECONDS = 3

NODES = [
    ("/hq", "cq", "REGION"), ("/hq/cq", "cq-o1", "OFFICE"),
    ("/hq/cq/cq-o1", "cq-o1-d3", "DISTRICT"), ("/hq/cq/cq-o1/cq-o1-d3", "t7", "TEAM"),
    ("/hq/cq/cq-o1", "cq-o1-d4", "DISTRICT"), ("/hq/cq/cq-o1/cq-o1-d4", "t9", "TEAM"),
    ("/hq", "sc", "REGION"), ("/hq/sc", "sc-o2", "OFFICE"),
    ("/hq/sc/sc-o2", "sc-o2-d1", "DISTRICT"), ("/hq/sc/sc-o2/sc-o2-d1", "t1", "TEAM"),
    ("/hq", "gz", "REGION"), ("/hq/gz", "gz-o1", "OFFICE"),
    ("/hq/gz/gz-o1", "gz-o1-d1", "DISTRICT"), ("/hq/gz/gz-o1/gz-o1-d1", "t1", "TEAM"),
    ("/hq/gz/gz-o1", "gz-o1-d2", "DISTRICT"), ("/hq/gz/gz-o1/gz-o1-d2", "t2", "TEAM"),
]

# name -> (role, node)
PEOPLE = {
    "cq_lead": ("OFFICE_ORDER_LEAD", "/hq/cq/cq-o1"),
    "cq_dlead": ("DISTRICT_ORDER_LEAD", "/hq/cq/cq-o1/cq-o1-d3"),
    "cq_dealer": ("DEALER", "/hq/cq/cq-o1/cq-o1-d3"),
    "cq_cs": ("CUSTOMER_SERVICE", "/hq/cq"),
    "cq_team_admin": ("TEAM_ADMIN", "/hq/cq/cq-o1/cq-o1-d3/t7"),
    "referrer": ("INTERMEDIARY", "/hq/cq/cq-o1/cq-o1-d3/t7"),
    "sc_lead": ("OFFICE_ORDER_LEAD", "/hq/sc/sc-o2"),
    "sc_dealer": ("DEALER", "/hq/sc/sc-o2/sc-o2-d1"),
    "sc_cs": ("CUSTOMER_SERVICE", "/hq/sc"),
    "gz_manager": ("REGIONAL_MANAGER", "/hq/gz"),
    "gz_cs": ("CUSTOMER_SERVICE", "/hq/gz"),
    "gz_lead": ("OFFICE_ORDER_LEAD", "/hq/gz/gz-o1"),
    "gz_dealer": ("DEALER", "/hq/gz/gz-o1/gz-o1-d1"),
}

# partner id -> channel of its key
PARTNERS = {"tmall": "mall", "jd": "mall", "alliance-site": "alliance", "feedmall": "mall"}

# SKU prices in fen: the regions' lists and HQ's guided maximum (mall orders).
REGION_PRICES = {"cq": {"bj-500": 12800, "bj-250": 6800}, "sc": {"bj-500": 13000, "bj-250": 7000},
                 "gz": {"bj-500": 12500, "bj-250": 6500}}
GUIDED = {"bj-500": 15800, "bj-250": 8800}

_phones = itertools.count(1)


@dataclass
class Person:
    name: str
    id: str
    phone: str
    metadata: list


class World:
    def __init__(self, cluster: Cluster):
        self.cluster = cluster
        self.pb = cluster.stubs
        gateway = cluster.gateway_channel()
        self.orders = self.pb.orders_grpc.OrderServiceStub(gateway)
        self.org = self.pb.gateway_grpc.OrgServiceStub(gateway)
        self.accounts = self.pb.gateway_grpc.AccountServiceStub(gateway)
        self.admin = cluster.admin()
        self.people: dict[str, Person] = {}
        self.partners: dict[str, list] = {}

    def build(self) -> "World":
        gw = self.pb.gateway
        for parent, slug, kind in NODES:
            self.org.CreateNode(gw.CreateNodeRequest(parent_path=parent, slug=slug, name=slug,
                                                     kind=gw.NodeKind.Value("NODE_KIND_" + kind)), metadata=self.admin, timeout=T)
        for name, (role, node) in PEOPLE.items():
            phone = "1370000%04d" % next(_phones)
            account = self.accounts.CreateAccount(gw.CreateAccountRequest(
                name=name, phone=phone, role=gw.AccountRole.Value("ACCOUNT_ROLE_" + role), node_path=node,
                initial_password=PASSWORD), metadata=self.admin, timeout=T)
            self.people[name] = Person(name, account.id, phone, self.cluster.login(phone, PASSWORD))
        for partner, channel in PARTNERS.items():
            self.partners[partner] = self.cluster.create_partner_key(partner, channel)
        self._catalog()
        self.wait_directory()
        self._routing()
        return self

    def wait_directory(self):
        """Orders checks routing against its directory, which the gateway feeds asynchronously:
        wait until it knows everyone before naming them in a routing."""
        ids = sorted(p.id for p in self.people.values())
        eventually("orders' directory knows every account", lambda: int(self.cluster.query(
            "orders", "SELECT count(*) FROM xsc_directory WHERE account_id = ANY(string_to_array(:'p1', ','))",
            ",".join(ids))[0][0]) == len(ids))

    def _catalog(self):
        pb = self.pb.orders
        for sku, name in [("bj-500", "52度 500ml"), ("bj-250", "52度 250ml")]:
            self.orders.UpsertSku(pb.UpsertSkuRequest(sku=pb.Sku(sku_id=sku, name=name, unit="bottle", active=True)),
                                  metadata=self.admin, timeout=T)
            self.orders.SetGuidedPrice(pb.SetGuidedPriceRequest(sku_id=sku, max_price_fen=GUIDED[sku]), metadata=self.admin, timeout=T)
            for region, prices in REGION_PRICES.items():
                self.orders.SetRegionPrice(pb.SetRegionPriceRequest(region_id=region, sku_id=sku, price_fen=prices[sku]),
                                           metadata=self.admin, timeout=T)

    def _routing(self):
        p = lambda name: [self.people[name].id]
        routes = [
            ("cq-o1-d3", "cq", "cq-o1", "/hq/cq/cq-o1/cq-o1-d3/t7", "cq_lead", p("cq_dlead"), "cq_dealer", "cq_cs", 0),
            ("cq-o1-d4", "cq", "cq-o1", "/hq/cq/cq-o1/cq-o1-d4/t9", "cq_lead", [], "cq_dealer", "cq_cs", SLA_SECONDS),
            ("sc-o2-d1", "sc", "sc-o2", "/hq/sc/sc-o2/sc-o2-d1/t1", "sc_lead", [], "sc_dealer", "sc_cs", 0),
            ("gz-o1-d1", "gz", "gz-o1", "/hq/gz/gz-o1/gz-o1-d1/t1", "gz_lead", [], "gz_dealer", "gz_cs", 0),
            ("gz-o1-d2", "gz", "gz-o1", "/hq/gz/gz-o1/gz-o1-d2/t2", "gz_lead", [], "gz_dealer", "gz_cs", 2),
        ]
        pb = self.pb.orders
        for district, region, office, team, lead, district_leads, dealer, escalation, sla in routes:
            routing = pb.DistrictRouting(district_id=district, region_id=region, office_id=office, credited_team_path=team,
                                         office_lead_account_ids=p(lead), district_lead_account_ids=district_leads,
                                         dealer_account_ids=p(dealer), escalation_account_ids=p(escalation), sla_seconds=sla)
            self.orders.SetDistrictRouting(pb.SetDistrictRoutingRequest(routing=routing), metadata=self.admin, timeout=T)

    # -- calls -------------------------------------------------------------------------------

    def who(self, name: str) -> list:
        """Call metadata of a person (their session) or a partner (their API key)."""
        return self.people[name].metadata if name in self.people else self.partners[name]

    def id(self, name: str) -> str:
        return self.people[name].id

    def order_request(self, source: str, district: str, external_id: str = "", referrer: str = "",
                      phone: str = "+86 138 0013 8000", quantities=(3, 1), promotion_plan: str = ""):
        """3 x bj-500 + 1 x bj-250 (by default) at the channel's price for the district's region."""
        pb = self.pb.orders
        region = district.split("-")[0]
        prices = GUIDED if source == "mall" else REGION_PRICES[region]
        lines = [pb.OrderLine(sku_id=sku, quantity=quantity, unit_price_fen=prices[sku])
                 for sku, quantity in zip(["bj-500", "bj-250"], quantities) if quantity]
        return pb.SubmitOrderRequest(source=pb.Source.Value("SOURCE_" + source.upper()), external_id=external_id,
                                     referrer_code=referrer, delivery_district_id=district, lines=lines,
                                     customer=pb.Customer(name="张三", phone=phone, address="重庆市渝中区解放碑1号"),
                                     promotion_plan_id=promotion_plan)

    def submit(self, who: str, request, key: str | None = None):
        metadata = self.who(who) + ([("idempotency-key", key)] if key else [])
        return self.orders.SubmitOrder(request, metadata=metadata, timeout=T).order

    def step(self, method: str, who: str, **fields):
        """One transition (Acknowledge, Assign, Accept, MarkDelivered, RecordReturnVisit, Cancel, Refund)."""
        request = getattr(self.pb.orders, method + "Request")(**fields)
        return getattr(self.orders, method)(request, metadata=self.who(who), timeout=T).order

    def assign(self, order_id: str, who: str, assignee: str, dealer: bool = True):
        kind = self.pb.orders.ASSIGNEE_KIND_DEALER if dealer else self.pb.orders.ASSIGNEE_KIND_DISTRICT_LEAD
        return self.step("Assign", who, order_id=order_id, assignee_account_id=self.id(assignee), assignee_kind=kind)

    def visit(self, order_id: str, who: str, actual: dict[str, int], score: int = 5, text: str = ""):
        lines = [self.pb.orders.ActualLine(sku_id=sku, actual_quantity=quantity) for sku, quantity in actual.items()]
        return self.step("RecordReturnVisit", who, order_id=order_id, lines=lines, evaluation_score=score, evaluation_text=text)

    def to_delivered(self, order_id: str, lead: str = "cq_lead", dealer: str = "cq_dealer"):
        self.step("Acknowledge", lead, order_id=order_id)
        self.assign(order_id, lead, dealer)
        self.step("Accept", dealer, order_id=order_id)
        return self.step("MarkDelivered", dealer, order_id=order_id)

    def events(self, order_id: str, who: str = "admin"):
        metadata = self.admin if who == "admin" else self.who(who)
        request = self.pb.orders.ListOrderEventsRequest(order_id=order_id, page=self.pb.common.PageRequest(page_size=100))
        return list(self.orders.ListOrderEvents(request, metadata=metadata, timeout=T).events)

    # -- the orders database (as the orders role, read only) ---------------------------------

    def outbox(self, method_path: str, message_type) -> list[tuple[str, str, object]]:
        """(event id, state, decoded payload) of every row queued for `method_path`, oldest first."""
        rows = self.cluster.query("orders", "SELECT event_id, state, encode(payload, 'hex') FROM xsc_outbox "
                                            "WHERE method_path = :'p1' ORDER BY id", method_path)
        return [(event_id, state, message_type.FromString(bytes.fromhex(payload))) for event_id, state, payload in rows]

    def sms(self, order_id: str) -> list[tuple[str, object]]:
        """(state, SendRequest) of the SMS requests about an order (subject or code), oldest first."""
        send = self.pb.notifications.SendRequest
        code = self.cluster.query("orders", "SELECT code FROM orders WHERE id = :'p1'", order_id)[0][0]
        rows = self.outbox("/xsc.notifications.v1.NotificationService/Send", send)
        return [(state, request) for _, state, request in rows
                if request.subject.id == order_id or request.params.get("code") == code]
