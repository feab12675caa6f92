"""Part 2 of the drill (the source's 客户管理区): a salesperson of the drill team adds a customer
(typo-free, a real mainland mobile) and records two follow-ups, the first asking a colleague to
follow up too; the colleague finds the task on their list. A fresh customer per run (its phone
comes from the run id): customers refuses duplicates, and the drill runs again and again."""
from __future__ import annotations

import time
import zlib

from drill_org import COLLEAGUE, SALESPERSON, session_of
from drill_support import day_and_time, until_accepted

DISTRICT = "cq-o1-d3"
CALL_S = 30.0
DAY_MS = 86_400_000


def run_phone(run_id: str) -> str:
    """A mainland mobile of this run (135 + 8 digits from the run id)."""
    return "135" + f"{zlib.crc32(run_id.encode()) % 100_000_000:08d}"


def add_and_follow_up(drill) -> None:
    pb, stub = drill.pb.customers, drill.pb.customers_grpc.CustomerServiceStub(drill.channel)
    session, account = session_of(drill, SALESPERSON)
    phone = run_phone(drill.run_id)
    drill.step(f"part 2: the salesperson {SALESPERSON.name} ({SALESPERSON.phone}) adds a customer")
    entered = pb.CustomerInput(name=f"刘先生 演练{drill.run_id[-4:]}", phones=[phone], address="重庆市渝中区民权路 8 号",
                               district_id=DISTRICT, kind=pb.CustomerKind.Value("CUSTOMER_KIND_FAMILY_GATHERING"),
                               grade=pb.GRADE_B, tags=["演练", "家庭聚会"])
    created = stub.CreateCustomer(pb.CreateCustomerRequest(customer=entered),
                                  metadata=[*session, ("idempotency-key", f"drill-customer-{drill.run_id}")], timeout=CALL_S)
    customer = created.customer
    drill.customer_id = customer.id
    drill.say(f"customer {customer.name} (id {customer.id}), phone {phone[:3]}****{phone[-4:]}, {customer.address}, "
              f"grade {pb.Grade.Name(customer.grade)}; owner {drill.people.get(customer.owner_account_id, customer.owner_account_id)}, "
              f"team {customer.team_path}")

    colleague, colleague_account = session_of(drill, COLLEAGUE)
    drill.step(f"the salesperson records a phone call and asks {COLLEAGUE.name} ({COLLEAGUE.phone}) to follow up too")
    first = until_accepted(lambda: stub.AddFollowUp(pb.AddFollowUpRequest(
        customer_id=customer.id, channel=pb.CHANNEL_PHONE, content="电话联系, 下月家宴需要白酒 6 瓶, 想先品鉴",
        outcome=pb.OUTCOME_INTERESTED, next_follow_up_at_ms=int(time.time() * 1000) + 2 * DAY_MS,
        ask_account_ids=[colleague_account.id]),
        metadata=[*session, ("idempotency-key", f"drill-follow-up-1-{drill.run_id}")], timeout=CALL_S), drill.args.timeout)
    drill.say(f"follow-up {first.follow_up.id}: {pb.Channel.Name(first.follow_up.channel)}, "
              f"{pb.Outcome.Name(first.follow_up.outcome)}, next follow-up {day_and_time(first.follow_up.next_follow_up_at_ms)} "
              f"(in 2 days); {len(first.tasks)} task(s) for colleagues (told by SMS)")
    tasks = stub.ListMyTasks(pb.ListMyTasksRequest(), metadata=colleague, timeout=CALL_S).tasks
    mine = [task for task in tasks if task.follow_up_id == first.follow_up.id]
    if not mine:
        raise drill.failure(f"{COLLEAGUE.name}'s task list has no task for follow-up {first.follow_up.id}")
    drill.say(f"{COLLEAGUE.name}'s list shows the task for {mine[0].customer_name}; they complete it after calling")
    stub.CompleteTask(pb.CompleteTaskRequest(task_id=mine[0].id), metadata=colleague, timeout=CALL_S)

    drill.step("the salesperson visits the customer with a tasting bottle and records the visit")
    second = stub.AddFollowUp(pb.AddFollowUpRequest(
        customer_id=customer.id, channel=pb.CHANNEL_VISIT, content="上门品鉴, 顾客满意, 约定下周下单",
        outcome=pb.OUTCOME_CALL_BACK, next_follow_up_at_ms=int(time.time() * 1000) + 7 * DAY_MS),
        metadata=[*session, ("idempotency-key", f"drill-follow-up-2-{drill.run_id}")], timeout=CALL_S)
    listed = stub.ListFollowUps(pb.ListFollowUpsRequest(customer_id=customer.id), metadata=session, timeout=CALL_S).follow_ups
    drill.say(f"follow-up {second.follow_up.id}: {pb.Channel.Name(second.follow_up.channel)}, "
              f"{pb.Outcome.Name(second.follow_up.outcome)}")
    if len(listed) != 2:
        raise drill.failure(f"customer {customer.id} lists {len(listed)} follow-ups, not 2")
    drill.say(f"the customer's record lists {len(listed)} follow-ups, newest first; next one due "
              f"{day_and_time(second.follow_up.next_follow_up_at_ms)}")
