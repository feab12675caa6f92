"""Closed team and strict input through xsc-gateway to xsc-customers: a sweep of every
id-taking method by another team, ancestors and non-salespeople (each answer byte for byte
the one a missing id gets, once the id is swapped), and every field of a customer and a
follow-up with bad and edge inputs (INVALID_ARGUMENT naming the field, or accepted and
normalised). Needs DATABASE_URL."""
from __future__ import annotations

import time
import uuid

import grpc
import pytest

from cluster_support import Cluster
from customers_world import World

SERVICES = ("gateway", "orders", "notifications", "customers")
MISSING = "0192f0c4-0000-7000-8000-000000000000"
OUTSIDERS = ("sb", "admin_b", "cq_lead", "cq_cs", "cq_dealer", "hq", "ref")


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    with Cluster.started(tmp_path_factory.mktemp("customers-access"), services=SERVICES) as cluster:
        yield World(cluster).build()
        cluster.assert_all_running()


@pytest.fixture(scope="module")
def team_a(world):
    """A customer of team t7 with a follow-up task and a near-duplicate flag."""
    pb = world.pb.customers
    customer = world.create("s1", name="赵总", phones=["13544445555"]).customer
    follow_up = world.call("AddFollowUp", "s1", pb.AddFollowUpRequest(
        customer_id=customer.id, channel=pb.CHANNEL_VISIT, outcome=pb.OUTCOME_INTERESTED, content="拜访",
        ask_account_ids=[world.id("s2")]))
    world.create("s2", name="赵总", phones=["13544446666"])
    flag = world.call("ListNearDuplicates", "admin_a", pb.ListNearDuplicatesRequest()).near_duplicates[0]
    return {"customer": customer.id, "task": follow_up.tasks[0].id, "flag": flag.id}


def id_calls(world, customer: str, task: str, flag: str):
    pb = world.pb.customers
    return {
        "GetCustomer": (pb.GetCustomerRequest(customer_id=customer), customer),
        "UpdateCustomer": (pb.UpdateCustomerRequest(customer_id=customer, customer=world.customer_input(phones=["13300133000"])), customer),
        "AddFollowUp": (pb.AddFollowUpRequest(customer_id=customer, channel=pb.CHANNEL_PHONE, outcome=pb.OUTCOME_DECLINED,
                                              content="x"), customer),
        "ListFollowUps": (pb.ListFollowUpsRequest(customer_id=customer), customer),
        "BindIntermediary": (pb.BindIntermediaryRequest(customer_id=customer, intermediary_account_id=world.id("ref")), customer),
        "MergeCustomers": (pb.MergeCustomersRequest(customer_id=customer, other_customer_id=customer), customer),
        "TransferOwnership": (pb.TransferOwnershipRequest(customer_id=customer, new_owner_account_id=world.id("s2")), customer),
        "CompleteTask": (pb.CompleteTaskRequest(task_id=task), task),
        "DismissNearDuplicate": (pb.DismissNearDuplicateRequest(near_duplicate_id=flag), flag),
    }


@pytest.mark.parametrize("who", OUTSIDERS)
def test_every_id_taking_method_answers_not_found_outside_the_team(world, team_a, who):
    real = id_calls(world, team_a["customer"], team_a["task"], team_a["flag"])
    fake = id_calls(world, MISSING, MISSING, MISSING)
    for method, (request, real_id) in real.items():
        refused = world.refusal(lambda: world.call(method, who, request))
        absent = world.refusal(lambda: world.call(method, who, fake[method][0]))
        assert refused.code() == absent.code() == grpc.StatusCode.NOT_FOUND, (method, who, refused.details())
        assert refused.details().replace(real_id, MISSING) == absent.details(), method
        status = world.pb.status.Status.FromString(world.details_bytes(refused))
        status.message = status.message.replace(real_id, MISSING)
        assert status.SerializeToString() == world.details_bytes(absent), method


@pytest.mark.parametrize("who", OUTSIDERS)
def test_outsiders_find_nothing_and_ancestors_get_counts_only(world, team_a, who):
    pb = world.pb.customers
    assert list(world.call("SearchCustomers", who, pb.SearchCustomersRequest(phone="13544445555")).customers) == []
    assert list(world.call("ListMyTasks", who, pb.ListMyTasksRequest()).tasks) == []


def test_ancestors_see_aggregated_counts_per_team(world, team_a):
    pb = world.pb.customers
    office = world.call("CountCustomers", "cq_lead", pb.CountCustomersRequest()).teams
    assert [t.team_path for t in office] == ["/hq/cq/cq-o1/cq-o1-d3/t7"] and office[0].customers >= 2
    assert office[0].follow_ups >= 1
    hq = world.call("CountCustomers", "hq", pb.CountCustomersRequest()).teams
    assert "/hq/cq/cq-o1/cq-o1-d3/t7" in [t.team_path for t in hq]
    other = world.call("CountCustomers", "sb", pb.CountCustomersRequest()).teams
    assert "/hq/cq/cq-o1/cq-o1-d3/t7" not in [t.team_path for t in other]


def test_inside_the_team_admin_steps_need_the_admin(world, team_a):
    pb = world.pb.customers
    refused = world.refusal(lambda: world.call("TransferOwnership", "s2", pb.TransferOwnershipRequest(
        customer_id=team_a["customer"], new_owner_account_id=world.id("s2"))))
    assert refused.code() == grpc.StatusCode.PERMISSION_DENIED
    moved = world.call("TransferOwnership", "admin_a", pb.TransferOwnershipRequest(
        customer_id=team_a["customer"], new_owner_account_id=world.id("s3"), reason="交接"))
    assert moved.customer.owner_account_id == world.id("s3")
    audit = world.call("ListAudit", "admin_a", pb.ListAuditRequest(kind="transfer")).entries
    assert audit[0].actor_account_id == world.id("admin_a") and "交接" in audit[0].detail
    # s3 leaves: everything of theirs goes to s2 at once.
    world.create("s3", name="孙的客户", phones=["13322224444"], address="某路")
    mine = world.call("SearchCustomers", "s1", pb.SearchCustomersRequest(owner_account_id=world.id("s3"))).customers
    moved = world.call("TransferAllCustomers", "admin_a", pb.TransferAllCustomersRequest(
        from_owner_account_id=world.id("s3"), new_owner_account_id=world.id("s2"), reason="离职"))
    assert moved.transferred == len(mine) >= 2
    assert list(world.call("SearchCustomers", "s1", pb.SearchCustomersRequest(owner_account_id=world.id("s3"))).customers) == []


BAD_CUSTOMER = [
    ({"name": ""}, "customer.name"),
    ({"name": "张\u0007三"}, "customer.name"),
    ({"name": "12345"}, "customer.name"),
    ({"name": "酒" * 51}, "customer.name"),
    ({"name": "张\u200b三"}, "customer.name"),
    ({"phones": []}, "customer.phones"),
    ({"phones": ["12345"]}, "customer.phones[0]"),
    ({"phones": ["12800138000"]}, "customer.phones[0]"),
    ({"phones": ["023-1234"]}, "customer.phones[0]"),
    ({"phones": ["13800138000", "+86 138 0013 8000"]}, "customer.phones[1]"),
    ({"phones": ["1370013700%d" % i for i in range(6)]}, "customer.phones"),
    ({"address": ""}, "customer.address"),
    ({"address": "重庆\ufffd"}, "customer.address"),
    ({"address": "一行\n两行"}, "customer.address"),
    ({"address": "地" * 201}, "customer.address"),
    ({"district_id": "CQ O1"}, "customer.district_id"),
    ({"tags": ["标" * 21]}, "customer.tags[0]"),
    ({"tags": ["t%d" % i for i in range(21)]}, "customer.tags"),
    ({"grade": 9}, "customer.grade"),
    ({"kind": 42}, "customer.kind"),
    ({"decision_maker": {"name": "王", "phone": "555"}}, "customer.decision_maker.phone"),
    ({"decision_maker": {"notes": "生日三月"}}, "customer.decision_maker.name"),
    ({"purchaser": {"name": "采购 李", "notes": "生日\u202e"}}, "customer.purchaser.notes"),
]


@pytest.mark.parametrize("fields,violation", BAD_CUSTOMER, ids=[v + "-" + str(i) for i, (_, v) in enumerate(BAD_CUSTOMER)])
def test_a_bad_customer_field_is_named(world, fields, violation):
    pb = world.pb.customers
    base = {"name": "周先生", "phones": ["13000000001"], "address": "重庆市渝北区1号"}
    base.update(fields)
    contacts = {key: pb.Contact(**base.pop(key)) for key in ("decision_maker", "purchaser") if key in base}
    request = pb.CreateCustomerRequest(customer=world.customer_input(**base, **contacts))
    error = world.refusal(lambda: world.call("CreateCustomer", "s3", request))
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT, error.details()
    fields_named = [v.field for d in world.pb.error_details(error) if hasattr(d, "field_violations") for v in d.field_violations]
    assert fields_named == [violation], (fields_named, error.details())


def test_every_bad_field_at_once(world):
    pb = world.pb.customers
    request = pb.CreateCustomerRequest(customer=pb.CustomerInput(name="\u200b", phones=["1", "13000000002", "13000000002"],
                                                                 address="", grade=7, tags=["好", "好", ""]))
    error = world.refusal(lambda: world.call("CreateCustomer", "s3", request))
    named = [v.field for d in world.pb.error_details(error) if hasattr(d, "field_violations") for v in d.field_violations]
    assert set(named) == {"customer.name", "customer.phones[0]", "customer.phones[2]", "customer.address", "customer.grade",
                          "customer.tags[2]"}


EDGE_PHONES = [("+86 139 0000 1111", "13900001111"), ("１３９０００１２２２２", "13900012222"), ("0086-139-0000-3333", "13900003333"),
               ("(023) 6123-4567", "02361234567"), ("010-62345678", "01062345678"), ("0755 8123 4567", "075581234567")]


@pytest.mark.parametrize("raw,digits", EDGE_PHONES)
def test_edge_phones_are_accepted_and_normalised(world, raw, digits):
    created = world.create("s3", name="\u3000边界 客户\u3000", phones=[raw], address="  重庆市  ")
    assert list(created.customer.phones) == [digits]
    assert created.customer.name == "边界 客户" and created.customer.address == "重庆市"


BAD_FOLLOW_UP = [
    ({"channel": 0}, "channel"),
    ({"outcome": 0}, "outcome"),
    ({"content": "   "}, "content"),
    ({"content": "长" * 2001}, "content"),
    ({"content": "a\u0001b"}, "content"),
    ({"next_follow_up_at_ms": 1}, "next_follow_up_at_ms"),
    ({"next_follow_up_at_ms": int(time.time() * 1000) + 400 * 86_400_000}, "next_follow_up_at_ms"),
    ({"ask_account_ids": ["nobody"]}, "ask_account_ids[0]"),
]


@pytest.mark.parametrize("fields,violation", BAD_FOLLOW_UP, ids=[v + "-" + str(i) for i, (_, v) in enumerate(BAD_FOLLOW_UP)])
def test_a_bad_follow_up_field_is_named(world, team_a, fields, violation):
    pb = world.pb.customers
    customer = world.create("s1", name="跟进 对象", phones=["13000000099"]).customer
    base = {"customer_id": customer.id, "channel": pb.CHANNEL_PHONE, "outcome": pb.OUTCOME_INTERESTED, "content": "电话"}
    base.update(fields)
    error = world.refusal(lambda: world.call("AddFollowUp", "s1", pb.AddFollowUpRequest(**base)))
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT, error.details()
    named = [v.field for d in world.pb.error_details(error) if hasattr(d, "field_violations") for v in d.field_violations]
    assert named == [violation], (named, error.details())
    # Another team's salesperson as a helper is refused the same way as an unknown account.
    other = world.refusal(lambda: world.call("AddFollowUp", "s1", pb.AddFollowUpRequest(
        customer_id=customer.id, channel=pb.CHANNEL_PHONE, outcome=pb.OUTCOME_INTERESTED, content="x",
        ask_account_ids=[world.id("sb")])))
    assert other.details().replace(world.id("sb"), "nobody") == world.refusal(lambda: world.call("AddFollowUp", "s1", pb.AddFollowUpRequest(
        customer_id=customer.id, channel=pb.CHANNEL_PHONE, outcome=pb.OUTCOME_INTERESTED, content="x",
        ask_account_ids=["nobody"]))).details()


def test_bad_search_and_paging_input(world):
    pb = world.pb.customers
    for request, field in [(pb.SearchCustomersRequest(phone="1x"), "phone"), (pb.SearchCustomersRequest(name="a\u0007"), "name"),
                           (pb.SearchCustomersRequest(grade=8), "grade"),
                           (pb.SearchCustomersRequest(page=world.pb.common.PageRequest(cursor="nonsense")), "page.cursor")]:
        error = world.refusal(lambda: world.call("SearchCustomers", "s1", request))
        assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
        named = [v.field for d in world.pb.error_details(error) if hasattr(d, "field_violations") for v in d.field_violations]
        assert named == [field]
    page = world.call("SearchCustomers", "s1", pb.SearchCustomersRequest(page=world.pb.common.PageRequest(page_size=100000)))
    assert len(page.customers) <= 100


def test_service_only_methods_refuse_people_and_the_directory_keeps_the_newest_entry(world):
    from customers_world import system_actor
    pb = world.pb.customers
    for method, request in [("SetDirectoryEntry", world.pb.common.DirectoryEntry(account_id=world.id("s1"), version=1 << 60)),
                            ("RecordCustomerSeen", world.pb.orders_events.CustomerSeen(event_id="x", customer_phone="13000000000")),
                            ("RecordReferrerSeen", world.pb.orders_events.ReferrerSeen(event_id="x", customer_phone="13000000000")),
                            ("GetRewardee", pb.GetRewardeeRequest(customer_phone="13000000000"))]:
        refused = world.refusal(lambda: world.call(method, "admin_a", request))
        assert refused.code() == grpc.StatusCode.PERMISSION_DENIED, method
    direct = world.pb.customers_grpc.CustomerServiceStub(world.cluster.channel("customers"))
    stale = world.pb.common.DirectoryEntry(account_id=world.id("s1"), name="旧名字", domain_role="dealer", node_path="/hq",
                                           enabled=False, version=1)
    assert not direct.SetDirectoryEntry(stale, metadata=system_actor(), timeout=30).applied
    rows = world.cluster.query("customers", "SELECT domain_role, enabled FROM xsc_directory WHERE account_id = :'p1'", world.id("s1"))
    assert rows == [["salesperson", "t"]]


def _actor_for(audience: str) -> list[tuple[str, bytes]]:
    import base64
    from customers_world import ACTOR_SECRET, xsc
    minted = xsc("mint-actor", "--audience", audience, "--account", "svc-orders", "--role", "system", "--team", "/", "--plain",
                 env={"XSC_ACTOR_SECRET": ACTOR_SECRET})
    assert minted.returncode == 0, minted.stderr
    return [(name, base64.b64decode(value)) for name, value in (line.split(": ", 1) for line in minted.stdout.splitlines())]


def test_the_inbox_runs_each_item_as_its_call_would_and_answers_a_status_each(world):
    """A peer's outbox batch in one Inbox/Deliver call (proto/xsc/common/v1/inbox.proto), sent
    by grpcio: each item is applied once however often it is delivered, refused or unknown items
    get their own status, and the inbox is not reachable through the gateway or without a
    service's signed actor."""
    pb = world.pb
    inbox_pb = pb.common_inbox
    customers_inbox = pb.common_inbox_grpc.InboxStub(world.cluster.channel("customers"))
    event_id = "evt-inbox-" + uuid.uuid4().hex
    phone = "139" + str(uuid.uuid4().int)[:8]
    seen = pb.orders_events.CustomerSeen(event_id=event_id, order_id="order-" + event_id, customer_name="王五",
                                         customer_phone=phone, credited_team_path="/hq", seen_at_ms=int(time.time() * 1000))
    path = "/xsc.customers.v1.CustomerService/"
    delivery = inbox_pb.InboxDelivery(items=[
        inbox_pb.InboxItem(method_path=path + "RecordCustomerSeen", payload=seen.SerializeToString(), event_id=event_id),
        inbox_pb.InboxItem(method_path=path + "RecordCustomerSeen", payload=seen.SerializeToString(), event_id=event_id),
        inbox_pb.InboxItem(method_path=path + "RecordCustomerSeen", payload=b"\xff\xff\xff", event_id="evt-broken"),
        inbox_pb.InboxItem(method_path=path + "GetCustomer", payload=b"", event_id="evt-not-an-event"),
    ])
    for _ in range(2):
        receipt = customers_inbox.Deliver(delivery, metadata=_actor_for("customers"), timeout=30)
        codes = [status.code for status in receipt.statuses]
        assert codes[:2] == [0, 0] and codes[3] == grpc.StatusCode.UNIMPLEMENTED.value[0], receipt
        assert codes[2] in (grpc.StatusCode.INTERNAL.value[0], grpc.StatusCode.INVALID_ARGUMENT.value[0]), receipt
    rows = world.cluster.query("customers", "SELECT count(*) FROM customer_phones WHERE phone = :'p1'", phone)
    assert rows == [["1"]], "the customer was recorded once"
    rows = world.cluster.query("customers", "SELECT count(*) FROM xsc_processed_events WHERE event_id = :'p1'", event_id)
    assert rows == [["1"]]

    # No actor, or another service's audience, refuses the whole call; the gateway does not
    # route the inbox, so no person reaches it.
    for metadata in [(), _actor_for("notifications")]:
        refused = world.refusal(lambda: customers_inbox.Deliver(delivery, metadata=metadata, timeout=30))
        assert refused.code() == grpc.StatusCode.UNAUTHENTICATED
    through_gateway = pb.common_inbox_grpc.InboxStub(world.cluster.gateway_channel())
    refused = world.refusal(lambda: through_gateway.Deliver(delivery, metadata=world.who("admin_a"), timeout=30))
    assert refused.code() in (grpc.StatusCode.UNIMPLEMENTED, grpc.StatusCode.NOT_FOUND, grpc.StatusCode.PERMISSION_DENIED), refused
    rows = world.cluster.query("customers", "SELECT count(*) FROM xsc_processed_events WHERE event_id = :'p1'", event_id)
    assert rows == [["1"]]

    # Notifications' inbox takes SMS requests: one message for two deliveries of one event (the
    # event id is its idempotency key, as in a unary call's metadata).
    notifications_inbox = pb.common_inbox_grpc.InboxStub(world.cluster.channel("notifications"))
    sms_event = "evt-sms-" + uuid.uuid4().hex
    send = pb.notifications.SendRequest(phone="137" + str(uuid.uuid4().int)[:8], template="customer_order_confirmed",
                                        params={"code": "A1B2C3"}, category=pb.notifications.CATEGORY_CUSTOMER,
                                        region_code="cq")
    item = inbox_pb.InboxItem(method_path="/xsc.notifications.v1.NotificationService/Send",
                              payload=send.SerializeToString(), event_id=sms_event)
    for _ in range(2):
        receipt = notifications_inbox.Deliver(inbox_pb.InboxDelivery(items=[item]), metadata=_actor_for("notifications"),
                                              timeout=30)
        assert [status.code for status in receipt.statuses] == [0], receipt
    rows = world.cluster.query("notifications", "SELECT count(*) FROM messages WHERE idempotency_key = :'p1'", sms_event)
    assert rows == [["1"]]
