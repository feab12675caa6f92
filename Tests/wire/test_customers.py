"""Issue 11's "done means", end to end: grpcio through xsc-gateway to xsc-customers (with
xsc-orders and xsc-notifications as real processes) on a fresh PostgreSQL. The drill's part two
(a customer, two follow-ups, one fanned out to two members who each get an SMS, the reminder);
first-creator ownership across two teams with refusals compared byte for byte; 20 concurrent
creates of one phone; near-duplicate flag and merge; an alliance order's events binding its
customer for good and the reward answer; referral codes; bulk import. The cross-team sweep and
the per-field input checks are in test_customers_access.py.

Needs DATABASE_URL (a superuser URL). Waits are polls under one liveness bound, never timing
assertions."""
from __future__ import annotations

import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import grpc
import pytest

from cluster_support import Cluster, eventually
from customers_world import TEAM_A, T, World

SERVICES = ("gateway", "orders", "notifications", "customers")


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    with Cluster.started(tmp_path_factory.mktemp("customers-e2e"), services=SERVICES) as cluster:
        yield World(cluster).build()
        cluster.assert_all_running()


def test_drill_part_two_customer_follow_ups_fan_out_and_reminder(world):
    pb = world.pb.customers
    created = world.create("s1", key="drill-1", name="刘总", phones=["+86 139-2222-3333"], grade=pb.GRADE_A, tags=["宴请"])
    customer = created.customer
    assert (customer.owner_account_id, customer.team_path, list(customer.phones)) == (world.id("s1"), TEAM_A, ["13922223333"])
    again = world.create("s1", key="drill-1", name="刘总", phones=["+86 139-2222-3333"], grade=pb.GRADE_A, tags=["宴请"])
    assert again.customer.id == customer.id, "same key, same request: the first answer"

    world.call("AddFollowUp", "s1", pb.AddFollowUpRequest(customer_id=customer.id, channel=pb.CHANNEL_PHONE,
                                                           outcome=pb.OUTCOME_CALL_BACK, content="首次电话，约品鉴"))
    due = int(time.time() * 1000) + 3_000
    second = world.call("AddFollowUp", "s1", pb.AddFollowUpRequest(
        customer_id=customer.id, channel=pb.CHANNEL_VISIT, outcome=pb.OUTCOME_INTERESTED, content="上门品鉴，客户满意",
        next_follow_up_at_ms=due, ask_account_ids=[world.id("s2"), world.id("admin_a")]))
    assert sorted(task.assignee_account_id for task in second.tasks) == sorted([world.id("s2"), world.id("admin_a")])

    for member in ("s2", "admin_a"):
        eventually(f"{member}'s follow-up SMS", lambda: world.sms_to(member, "刘总"))
    tasks = world.call("ListMyTasks", "s2", pb.ListMyTasksRequest()).tasks
    assert [(task.customer_id, task.state) for task in tasks] == [(customer.id, "open")]
    world.call("CompleteTask", "s2", pb.CompleteTaskRequest(task_id=tasks[0].id))
    assert list(world.call("ListMyTasks", "s2", pb.ListMyTasksRequest()).tasks) == []
    assert len(world.call("ListMyTasks", "admin_a", pb.ListMyTasksRequest()).tasks) == 1, "the admin's task stays until done"

    follow_ups = world.call("ListFollowUps", "s2", pb.ListFollowUpsRequest(customer_id=customer.id)).follow_ups
    assert [f.content for f in follow_ups] == ["上门品鉴，客户满意", "首次电话，约品鉴"]
    reminder = eventually("the due follow-up reminds its owner", lambda: world.sms_to("s1", "跟进提醒"))
    assert "刘总" in reminder[0]["text"]


def test_first_creator_keeps_the_customer_and_refusals_leak_nothing(world):
    pb = world.pb.customers
    a = world.create("s1", name="王总", phones=["13811110000"], address="重庆市江北区观音桥8号").customer
    b = world.create("sb", name="李经理", phones=["13911110000"], address="成都市锦江区春熙路9号").customer
    into_a = world.refusal(lambda: world.create("sb", name="王", phones=["138 1111 0000"], address="成都"))
    into_b = world.refusal(lambda: world.create("s2", name="李", phones=["13911110000"], address="重庆"))
    assert into_a.code() == into_b.code() == grpc.StatusCode.ALREADY_EXISTS
    assert into_a.details() == into_b.details()
    assert world.details_bytes(into_a) == world.details_bytes(into_b) != b""
    reason = [d for d in world.pb.error_details(into_a) if hasattr(d, "reason")][0].reason
    assert reason == "CUSTOMER_ALREADY_OWNED"
    for leaked in ("王总", "江北", "观音桥", world.id("s1"), "t7", a.id, "13811110000", b.id):
        assert leaked not in into_a.details()
    eventually("the owner is told of the attempt", lambda: world.sms_to("s1", "王总"))
    eventually("the other owner too", lambda: world.sms_to("sb", "李经理"))
    # The owner's team admin sees the attempt in the audit trail; the other team's does not see A's.
    audit = world.call("ListAudit", "admin_a", pb.ListAuditRequest(kind="duplicate_attempt")).entries
    assert [entry.customer_id for entry in audit] == [a.id]


def test_twenty_concurrent_creates_of_one_phone_from_two_teams_make_one_customer(world):
    phone = "15077778888"
    who = ["s1", "s2", "sb", "admin_b"]

    def attempt(index):
        try:
            answer = world.create(who[index % len(who)], name=f"并发{index}", phones=[phone], address="某地")
            return "existing" if answer.existing else "created"
        except grpc.RpcError as error:
            return "refused" if error.code() == grpc.StatusCode.ALREADY_EXISTS else f"{error.code()}: {error.details()}"

    with ThreadPoolExecutor(max_workers=20) as pool:
        outcomes = list(pool.map(attempt, range(20)))
    assert outcomes.count("created") == 1, outcomes
    assert set(outcomes) <= {"created", "existing", "refused"}, outcomes
    rows = world.cluster.query("customers", "SELECT count(*) FROM customer_phones WHERE phone = :'p1'", phone)
    assert rows == [["1"]]
    customers = world.cluster.query("customers", "SELECT count(*) FROM customers WHERE name LIKE '并发%'")
    assert customers == [["1"]]


def test_near_duplicate_is_flagged_and_merge_moves_follow_ups(world):
    pb = world.pb.customers
    older = world.create("s1", name="陈老板", phones=["13633334444"], address="重庆市南岸区弹子石1号").customer
    newer_answer = world.create("s2", name="陈 老板", phones=["13655556666"], address="重庆市 南岸区 弹子石1号")
    newer = newer_answer.customer
    assert list(newer_answer.near_duplicate_ids) == [older.id]
    swapped = world.create("s3", name="别人", phones=["13633343444"], address="别处")
    assert list(swapped.near_duplicate_ids) == [older.id], "two neighbouring digits swapped"
    eventually("the team admin is told", lambda: world.sms_to("admin_a", "疑似"))

    flags = world.call("ListNearDuplicates", "admin_a", pb.ListNearDuplicatesRequest()).near_duplicates
    assert {(f.customer_id, f.similar_customer_id, f.reason) for f in flags} >= {
        (newer.id, older.id, "same_name_address"), (swapped.customer.id, older.id, "phone_transposition")}
    refused = world.refusal(lambda: world.call("ListNearDuplicates", "s1", pb.ListNearDuplicatesRequest()))
    assert refused.code() == grpc.StatusCode.PERMISSION_DENIED

    world.call("AddFollowUp", "s2", pb.AddFollowUpRequest(customer_id=newer.id, channel=pb.CHANNEL_WECHAT,
                                                           outcome=pb.OUTCOME_INTERESTED, content="微信加上了"))
    merged = world.call("MergeCustomers", "admin_a", pb.MergeCustomersRequest(customer_id=newer.id, other_customer_id=older.id))
    assert (merged.survivor.id, merged.survivor.owner_account_id, merged.follow_ups_moved) == (older.id, world.id("s1"), 1)
    assert list(merged.survivor.phones) == ["13633334444", "13655556666"]
    moved = world.call("ListFollowUps", "s1", pb.ListFollowUpsRequest(customer_id=older.id)).follow_ups
    assert [f.content for f in moved] == ["微信加上了"]
    gone = world.refusal(lambda: world.call("GetCustomer", "s2", pb.GetCustomerRequest(customer_id=newer.id)))
    assert gone.code() == grpc.StatusCode.NOT_FOUND
    audit = world.call("ListAudit", "admin_a", pb.ListAuditRequest(kind="merge")).entries
    assert [entry.customer_id for entry in audit] == [older.id]


def test_an_alliance_orders_events_bind_its_customer_for_good(world):
    orders = world.pb.orders
    pb = world.pb.customers
    phone = "13788889999"
    referrer = world.id("ref")
    request = orders.SubmitOrderRequest(
        source=orders.SOURCE_ALLIANCE, external_id="AL-" + uuid.uuid4().hex[:8], referrer_code=referrer,
        customer=orders.Customer(name="联盟 顾客", phone=phone, address="重庆市渝中区较场口2号"), delivery_district_id="cq-o1-d3",
        lines=[orders.OrderLine(sku_id="bj-500", quantity=1, unit_price_fen=12800)])
    world.orders.SubmitOrder(request, metadata=world.alliance_key, timeout=T)

    def rewardee():
        answer = world.call("GetRewardee", "hq", pb.GetRewardeeRequest(customer_phone="+86 137 8888 9999"))
        return answer if answer.intermediary_account_id else None
    answer = eventually("the binding arrives from orders' events", rewardee)
    assert (answer.intermediary_account_id, answer.source) == (referrer, "order")

    listed = eventually("the customer appears in the credited team's list", lambda: world.call(
        "SearchCustomers", "s3", pb.SearchCustomersRequest(phone=phone)).customers)
    assert (listed[0].origin, listed[0].binding.intermediary_account_id, listed[0].team_path) == ("order", referrer, TEAM_A)
    # Another referrer later changes nothing; a manual binding to someone else is refused.
    code = world.call("GetMyReferralCode", "ref", pb.GetMyReferralCodeRequest())
    assert len(code.code) == 6 and world.call("ResolveReferralCode", "sb", pb.ResolveReferralCodeRequest(code=code.code.lower())).account_id == referrer
    bound = world.call("BindIntermediary", "s3", pb.BindIntermediaryRequest(customer_id=listed[0].id, referral_code=code.code))
    assert bound.customer.binding.intermediary_account_id == referrer
    refused = world.refusal(lambda: world.call("GetRewardee", "s1", pb.GetRewardeeRequest(customer_phone=phone)))
    assert refused.code() == grpc.StatusCode.PERMISSION_DENIED


def test_bulk_import_reports_every_row_and_a_resend_changes_nothing(world):
    pb = world.pb.customers
    rows = [pb.ImportCustomerRow(customer=world.customer_input(name="导入甲", phones=["13500001111"], address="一路")),
            pb.ImportCustomerRow(customer=world.customer_input(name="导入乙", phones=["12345"], address="二路")),
            pb.ImportCustomerRow(customer=world.customer_input(name="导入丙", phones=["13811110000"], address="三路")),
            pb.ImportCustomerRow(customer=world.customer_input(name="导入丁", phones=["023-6666 7777"], address="四路"))]
    first = world.customers.ImportCustomers(iter(rows), metadata=world.who("s2"), timeout=T)
    assert [r.outcome for r in first.results] == ["created", "refused", "refused", "created"]
    assert (first.created, first.refused) == (2, 2)
    assert first.results[1].error.code == grpc.StatusCode.INVALID_ARGUMENT.value[0]
    assert first.results[2].error.code == grpc.StatusCode.ALREADY_EXISTS.value[0]
    again = world.customers.ImportCustomers(iter(rows), metadata=world.who("s2"), timeout=T)
    assert [r.outcome for r in again.results] == ["existing", "refused", "refused", "existing"]
    assert [r.customer_id for r in again.results] == [r.customer_id for r in first.results]


def test_a_large_import_keeps_row_order_across_batches(world):
    pb = world.pb.customers
    rows = [pb.ImportCustomerRow(customer=world.customer_input(name=f"大批{i}", phones=["14%09d" % (i % 1100)], address=f"大批路{i}号"))
            for i in range(1_250)]
    rows[700] = pb.ImportCustomerRow(customer=world.customer_input(name="坏行", phones=["1"], address="x"))
    answer = world.customers.ImportCustomers(iter(rows), metadata=world.who("s1"), timeout=120)
    assert [r.index for r in answer.results] == list(range(1_250))
    outcomes = [r.outcome for r in answer.results]
    # Rows 1100..1249 repeat the phones of rows 0..149 (an earlier batch): the caller's own customers.
    assert outcomes[:700] == ["created"] * 700 and outcomes[700] == "refused" and outcomes[701:1100] == ["created"] * 399
    assert outcomes[1100:] == ["existing"] * 150
    assert [r.customer_id for r in answer.results[1100:]] == [r.customer_id for r in answer.results[:150]]
    assert (answer.created, answer.existing, answer.refused) == (1_099, 150, 1)


def test_list_tags_counts_the_callers_team(world):
    # The world is shared by the whole module (the drill already tagged a team A customer 宴请):
    # compare with the counts before, never absolute numbers.
    pb = world.pb.customers

    def tags(who):
        return {t.tag: t.customers for t in world.call("ListTags", who, pb.ListTagsRequest()).tags}   # through the gateway

    before = tags("s1")
    world.create("s1", name="王总", phones=["13911112222"], tags=["宴请", "送礼"])
    world.create("sb", name="赵经理", phones=["13911113333"], address="成都市武侯区人民南路3号", tags=["自饮"])   # another team
    after = tags("s1")
    assert after["宴请"] == before.get("宴请", 0) + 1 and after["送礼"] == before.get("送礼", 0) + 1
    assert "自饮" not in after and tags("s2") == after, "closed in the team: the whole team sees the same counts"
