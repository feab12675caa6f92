"""The steps of the drill (scripts/drill.py runs them): what each person does through the
gateway, printed as it happens. The organisation, SKU, prices and routing are those `xsc
seed-drill` creates (Sources/XscCLI/SeedDrillCommand.swift, SeedDrillOrders.swift) plus the drill
team of drill_org.py; part 1's reward is drill_reward.py, part 2 drill_customers.py, part 3
drill_notice.py."""
from __future__ import annotations

import argparse
import os
import subprocess
import time
import uuid

import grpc

import drill_customers
import drill_notice
import drill_org
import drill_reward
from drill_support import DrillKeys, SmsFile, Stubs, bearer, clock, seconds, yuan

# What `xsc seed-drill` creates (Sources/XscCLI/SeedDrillCommand.swift, SeedDrillOrders.swift).
# Part 1's order comes from the website alliance (a partner key of channel alliance, made per
# run) and carries the intermediary's share code as its referrer code.
PARTNER, SMS_PROVIDER = "drill-alliance", "drill-sms"
DISTRICT = "cq-o1-d3"
SKU, SKU_NAME, LIST_PRICE_FEN = "drill-baijiu-500ml", "演练白酒 500ml", 49_800  # alliance orders: the region's list price
OFFICE_LEAD, DEALER, CUSTOMER_SERVICE = "13900000003", "13900000005", "13900000002"
CUSTOMER = {"name": "顾客 周", "phone": "13700000001", "address": "重庆市渝中区解放碑 1 号"}
ORDERED, TAKEN = 3, 2  # the customer ordered three bottles and kept two: the visit records what was sold
CALL_S = 30.0  # deadline of one call


class StepFailed(Exception):
    """A step did not do what the drill expects; the message says what happened instead."""


class Drill:
    """One run: its sessions, its keys, the names of the people it met (for the event list)."""

    def __init__(self, args: argparse.Namespace, pb: Stubs, channel: grpc.Channel, password: str):
        self.args, self.pb, self.channel, self.password = args, pb, channel, password
        self.orders = pb.orders_grpc.OrderServiceStub(channel)
        self.auth = pb.gateway_grpc.AuthServiceStub(channel)
        self.step_no, self.step_title = 0, "start"
        self.sessions: list[list[tuple[str, str]]] = []
        self.keys: DrillKeys | None = None
        self.people: dict[str, str] = {PARTNER: f"{PARTNER} (the alliance site's key)"}
        self.sessions_by_phone: dict[str, list[tuple[str, str]]] = {}
        self.accounts_by_phone: dict[str, object] = {}
        # Fresh names of this run: customers' phone, notice title, idempotency keys.
        self.run_id = f"{time.strftime('%Y%m%d-%H%M%S')}-{uuid.uuid4().hex[:4]}"
        self.intermediary_id = self.customer_id = self.notice_id = ""
        self.order_id = ""

    @staticmethod
    def failure(text: str) -> StepFailed:
        return StepFailed(text)

    def step(self, title: str) -> None:
        self.step_no, self.step_title = self.step_no + 1, title
        print(f"\n[{self.step_no}] {title}", flush=True)

    @staticmethod
    def say(text: str) -> None:
        print("    " + text, flush=True)

    def state(self, order) -> str:
        return self.pb.orders.OrderState.Name(order.state).removeprefix("ORDER_STATE_").lower()

    def login(self, phone: str, password: str):
        answer = self.auth.Login(self.pb.gateway.LoginRequest(phone=phone, password=password), timeout=CALL_S)
        session = bearer(answer.session_token)
        self.sessions.append(session)
        self.people[answer.account.id] = f"{answer.account.name} ({phone})"
        self.sessions_by_phone[phone] = session
        self.accounts_by_phone[phone] = answer.account
        return session, answer.account

    def run(self) -> None:
        print(f"drill run {self.run_id}", flush=True)
        self.seed()
        self.make_keys()
        drill_org.set_up_team(self)
        drill_reward.reward_rule(self)
        self.referral_code = drill_reward.referral_code(self)
        vendor = None
        if getattr(self.args, "vendor_fake", None):
            from drill_vendor import VendorFake
            vendor = VendorFake(self.args.vendor_fake)
            self.step(f"hq_admin registers the drill region's templates with {vendor.vendor} (templates as data)")
            vendor.register(self.pb, self.channel, self.admin, self.say, CALL_S)
        sms = None if vendor else SmsFile(self.args.sms_file)
        order = self.submit()
        if vendor:
            self.wait_for_vendor_prompt(vendor, order)
            self.reply_through_vendor(vendor, order)
        else:
            self.wait_for_prompt(sms, order)
            self.reply(order)
        lead, lead_account = self.wait_until_acknowledged(order)
        order = self.work_through(order, lead)
        self.report(order, lead, lead_account)
        drill_reward.reward_paid(self, order)
        if vendor:
            self.undelivered(vendor, lead)
        drill_customers.add_and_follow_up(self)
        drill_notice.publish_and_answer(self)
        print(f"\ndrill done: (1) order {order.code} went from submission to return visit in "
              f"{seconds(order.visited_at_ms - order.created_at_ms)} and its intermediary's reward was paid; "
              f"(2) customer {self.customer_id} added and followed up twice; "
              f"(3) notice {self.notice_id} published, read, its question answered", flush=True)

    def wait_for_vendor_prompt(self, vendor, order) -> None:
        self.step(f"the office lead's SMS ({OFFICE_LEAD}) naming {order.code}, accepted by {vendor.vendor}")
        sent = vendor.wait_for(OFFICE_LEAD, order.code, self.args.timeout)
        if sent is None:
            raise StepFailed(f"{vendor.vendor} accepted no SMS to {OFFICE_LEAD} naming {order.code} within "
                             f"{self.args.timeout:.0f} s (is notifications running with XSC_SMS_PROVIDER={vendor.vendor}?)")
        self.say(f"{vendor.vendor} id {sent.vendor_id}: template {sent.template_code}, 【{sent.sign_name}】, parameters {sent.params}")
        return sent

    def reply_through_vendor(self, vendor, order) -> None:
        self.step(f"the lead replies {order.code}; {vendor.vendor} posts the reply (上行短信) and the delivery report")
        sent = vendor.wait_for(OFFICE_LEAD, order.code, self.args.timeout)
        receipt = vendor.format.body([vendor.format.receipt(sent)], "receipt")
        vendor.post(self.pb, self.channel, self.provider, "receipt", receipt, self.args.timeout, CALL_S)
        reply = vendor.format.body([vendor.format.reply(OFFICE_LEAD, order.code, int(time.time()) % 100_000)], "reply")
        answer = vendor.post(self.pb, self.channel, self.provider, "reply", reply, self.args.timeout, CALL_S)
        if answer.replies_received != 1:
            raise StepFailed(f"notifications took {answer.replies_received} replies from the callback, not 1")
        self.say(f"delivery report and reply taken; notifications answers the vendor {answer.vendor_answer}")

    def undelivered(self, vendor, lead) -> None:
        self.step(f"a second order; {vendor.vendor} reports the lead's prompt undelivered")
        order = self.submit()
        sent = self.wait_for_vendor_prompt(vendor, order)
        report = vendor.format.body([vendor.format.receipt(sent, delivered=False)], "receipt")
        vendor.post(self.pb, self.channel, self.provider, "receipt", report, self.args.timeout, CALL_S)
        self.say("the vendor reported it undelivered")
        told = vendor.wait_for(CUSTOMER_SERVICE, order.code, self.args.timeout)
        if told is None:
            raise StepFailed(f"the region's customer service ({CUSTOMER_SERVICE}) was not prompted about {order.code}")
        self.say(f"the region's customer service ({CUSTOMER_SERVICE}) prompted at once: {vendor.vendor} id {told.vendor_id}")
        kinds = [event.kind for event in self.events(order.id, lead)]
        if "prompt_undelivered" not in kinds or "sla_violation" in kinds:
            raise StepFailed(f"order {order.code}'s events are {kinds}")
        self.say(f"undelivered order {order.code} (id {order.id}): events {kinds}; "
                 "the lead owes nothing for a prompt that never reached it")

    def seed(self) -> None:
        self.step("xsc seed-drill: organisation, accounts, SKU, prices and routing (what exists is left alone)")
        environment = {**os.environ, "XSC_ADMIN_PHONE": self.args.admin_phone, "XSC_ADMIN_PASSWORD": self.password,
                       "XSC_DRILL_PASSWORD": self.args.member_password}
        try:
            done = subprocess.run([str(self.args.xsc), "seed-drill", "--gateway", self.args.gateway], env=environment,
                                  capture_output=True, text=True, timeout=self.args.timeout)
        except subprocess.TimeoutExpired:
            raise StepFailed(f"xsc seed-drill did not finish within {self.args.timeout:.0f} s") from None
        for line in done.stdout.splitlines():
            self.say(line)
        if done.returncode != 0:
            raise StepFailed(f"xsc seed-drill exited with {done.returncode}: {done.stderr.strip()}")

    def make_keys(self) -> None:
        self.step(f"hq_admin logs in and makes this run's keys: partner {PARTNER} (alliance), SMS provider {SMS_PROVIDER}")
        admin, _ = self.login(self.args.admin_phone, self.password)
        self.admin = admin
        self.keys = DrillKeys(self.pb, self.channel, admin, self.args.var / "run" / "drill-keys.json", self.say, CALL_S)
        # xsc seed-drill keeps one drill-sms key; drill-alliance keys are only ever this script's.
        self.keys.revoke_leftovers({PARTNER: 0, SMS_PROVIDER: 1})
        key, secret = self.keys.create(PARTNER, "alliance")
        self.partner = bearer(secret)
        self.say(f"partner key {key.display_prefix}... (id {key.id}) for {PARTNER}, channel alliance")
        key, secret = self.keys.create(SMS_PROVIDER, "sms_provider")
        self.provider = bearer(secret)
        self.say(f"SMS-provider key {key.display_prefix}... (id {key.id}) for {SMS_PROVIDER}")

    def submit(self):
        self.step(f"part 1: the alliance site ({PARTNER}) submits an order for district {DISTRICT} with the "
                  f"intermediary's share code {self.referral_code}")
        pb = self.pb.orders
        external_id = f"drill-{time.strftime('%Y%m%d-%H%M%S')}-{uuid.uuid4().hex[:6]}"
        line = pb.OrderLine(sku_id=SKU, quantity=ORDERED, unit_price_fen=LIST_PRICE_FEN)
        request = pb.SubmitOrderRequest(source=pb.SOURCE_ALLIANCE, external_id=external_id, customer=pb.Customer(**CUSTOMER),
                                        delivery_district_id=DISTRICT, lines=[line], note="演练订单",
                                        referrer_code=self.referral_code)
        answer = self.orders.SubmitOrder(request, metadata=self.partner, timeout=CALL_S)
        order = answer.order
        if answer.existing:
            raise StepFailed(f"external id {external_id} was already taken by order {order.code}")
        self.say(f"order {order.code} (id {order.id}, external id {external_id}) at {clock(order.created_at_ms)}: "
                 f"{ORDERED} x {SKU_NAME} at {yuan(LIST_PRICE_FEN)} = {yuan(order.total_fen)}")
        self.say(f"customer {CUSTOMER['name']}, {CUSTOMER['address']}; state {self.state(order)} "
                 "(a partner sees its order's status and times, not who works it)")
        return order

    def wait_for_prompt(self, sms: SmsFile, order) -> None:
        self.step(f"the office lead's SMS ({OFFICE_LEAD}) naming {order.code}, in {sms.path}")
        line = sms.wait_for(OFFICE_LEAD, order.code, self.args.timeout)
        if line is None:
            raise StepFailed(f"no SMS to {OFFICE_LEAD} naming {order.code} in {sms.path} within "
                             f"{self.args.timeout:.0f} s (is notifications running with the development provider "
                             "writing to that file? see its log, var/log/notifications.log under make up)")
        segments = line.get("segments", "?")
        self.say(f"{clock(line.get('at_ms', 0))} to {line['to']} ({segments} segment(s)): {line['text']}")

    def reply(self, order) -> None:
        self.step(f"the lead replies 1; the SMS provider ({SMS_PROVIDER}) reports the reply")
        pb = self.pb.notifications
        service = self.pb.notifications_grpc.NotificationServiceStub(self.channel)
        outcome = pb.ReceiveInboundResponse.Outcome

        def receive(text: str):
            request = pb.ReceiveInboundRequest(from_phone=OFFICE_LEAD, text=text,
                                               received_at_ms=int(time.time() * 1000),
                                               provider_message_id="drill-in-" + uuid.uuid4().hex)
            return service.ReceiveInbound(request, metadata=self.provider, timeout=CALL_S)
        answer = receive("1")
        queued = pb.ReceiveInboundResponse.OUTCOME_ACKNOWLEDGEMENT_QUEUED
        if answer.outcome == pb.ReceiveInboundResponse.OUTCOME_AMBIGUOUS or (
                answer.outcome == queued and answer.order_id != order.id):
            # Prompts of an interrupted run's orders are still open: name the order instead.
            acknowledged = f" for order {answer.order_id}" if answer.order_id else ""
            self.say(f"reply 1: {outcome.Name(answer.outcome)}{acknowledged} (other prompts open); "
                     f"the lead replies with the order's code {order.code}")
            answer = receive(order.code)
        if answer.outcome != queued or answer.order_id != order.id:
            raise StepFailed(f"notifications answered {outcome.Name(answer.outcome)} (order '{answer.order_id}'), "
                             f"not an acknowledgement of {order.id}")
        self.say(f"notifications: {outcome.Name(answer.outcome)} for order {answer.order_id}")

    def wait_until_acknowledged(self, order):
        self.step(f"the office lead ({OFFICE_LEAD}) logs in and waits for the order to be acknowledged")
        lead, account = self.login(OFFICE_LEAD, self.args.member_password)
        give_up = time.monotonic() + self.args.timeout
        while True:
            try:
                seen = self.orders.GetOrder(self.pb.orders.GetOrderRequest(order_id=order.id), metadata=lead,
                                            timeout=CALL_S).order
                if seen.state != self.pb.orders.ORDER_STATE_RECEIVED:
                    break
            except grpc.RpcError as error:
                if error.code() != grpc.StatusCode.UNAVAILABLE:  # a restarting orders answers UNAVAILABLE meanwhile
                    raise
            if time.monotonic() > give_up:
                raise StepFailed(f"order {order.code} still not acknowledged after {self.args.timeout:.0f} s")
            time.sleep(0.2)
        if seen.state != self.pb.orders.ORDER_STATE_ACKNOWLEDGED or seen.acknowledged_by != account.id:
            raise StepFailed(f"order {order.code} is {self.state(seen)}, acknowledged by '{seen.acknowledged_by}', "
                             f"not acknowledged by the lead {account.id}")
        events = {event.kind: event for event in self.events(order.id, lead)}
        acknowledged = events["acknowledged"]
        self.say(f"acknowledged by {self.people.get(acknowledged.actor_account_id, acknowledged.actor_account_id)} at "
                 f"{clock(acknowledged.at_ms)}, {seconds(acknowledged.at_ms - events['submitted'].at_ms)} after submission")
        return lead, account

    def work_through(self, order, lead):
        self.step(f"the lead assigns to the district's dealer ({DEALER}), who accepts and delivers; the lead visits")
        dealer, dealer_account = self.login(DEALER, self.args.member_password)
        pb = self.pb.orders
        assign = pb.AssignRequest(order_id=order.id, assignee_account_id=dealer_account.id,
                                  assignee_kind=pb.ASSIGNEE_KIND_DEALER)
        done = self.orders.Assign(assign, metadata=lead, timeout=CALL_S).order
        self.say(f"assigned by the lead to {self.people[dealer_account.id]}: {self.state(done)}")
        done = self.orders.Accept(pb.AcceptRequest(order_id=order.id), metadata=dealer, timeout=CALL_S).order
        self.say(f"accepted by the dealer: {self.state(done)}")
        delivered = pb.MarkDeliveredRequest(order_id=order.id)
        done = self.orders.MarkDelivered(delivered, metadata=dealer, timeout=CALL_S).order
        self.say(f"marked delivered by the dealer: {self.state(done)}")
        visit = pb.RecordReturnVisitRequest(order_id=order.id, lines=[pb.ActualLine(sku_id=SKU, actual_quantity=TAKEN)],
                                            evaluation_score=5, evaluation_text="酒送到了, 顾客满意; 留下两瓶, 退回一瓶")
        done = self.orders.RecordReturnVisit(visit, metadata=lead, timeout=CALL_S).order
        self.say(f"return visit by the lead: {self.state(done)}; actually sold {TAKEN} of {ORDERED} = "
                 f"{yuan(done.actual_total_fen)}, evaluation {done.evaluation_score}/5 \"{done.evaluation_text}\"")
        if done.state != pb.ORDER_STATE_VISITED:
            raise StepFailed(f"order {order.code} is {self.state(done)} after the return visit, not visited")
        referrer = self.people.get(done.referrer_code, done.referrer_code or "nobody")
        self.say(f"the order's referrer, as orders resolved share code {self.referral_code}: {referrer}")
        if done.referrer_code != self.intermediary_id:
            raise StepFailed(f"order {order.code} names referrer '{done.referrer_code}', not the intermediary {self.intermediary_id}")
        return done

    def events(self, order_id: str, session) -> list:
        found, cursor = [], ""
        while True:
            page = self.pb.common.PageRequest(cursor=cursor, page_size=100)
            request = self.pb.orders.ListOrderEventsRequest(order_id=order_id, page=page)
            page = self.orders.ListOrderEvents(request, metadata=session, timeout=CALL_S)
            found.extend(page.events)
            cursor = page.page.next_cursor
            if not cursor:
                return found

    def report(self, order, lead, lead_account) -> None:
        self.step("the order's events, and the lead's SLA compliance since the order")
        for event in self.events(order.id, lead):
            who = self.people.get(event.actor_account_id, event.actor_account_id or "-")
            detail = event.detail
            for account_id, person in self.people.items():
                detail = detail.replace(account_id, person)
            self.say(f"{clock(event.at_ms)}  {event.kind:<13} {who}{'  (' + detail + ')' if detail else ''}")
        report = self.orders.SlaCompliance(self.pb.orders.ReportRequest(
            from_ms=order.created_at_ms, to_ms=int(time.time() * 1000) + 60_000), metadata=lead, timeout=CALL_S)
        row = next((row for row in report.rows if row.account_id == lead_account.id), None)
        if row is None:
            raise StepFailed(f"SlaCompliance has no row for the lead {lead_account.id}: {list(report.rows)}")
        self.say(f"SLA of {self.people[lead_account.id]}: {row.acknowledgements} acknowledgement(s), "
                 f"p50 {seconds(row.p50_ack_ms)}, p90 {seconds(row.p90_ack_ms)}, misses {row.misses}, "
                 f"withdrawn {row.withdrawn_misses}")
        if row.misses:
            raise StepFailed(f"the lead has {row.misses} missed deadline(s) on orders since {clock(order.created_at_ms)}")

    def clean_up(self) -> list[str]:
        """Revokes this run's keys and ends its sessions; returns what could not be done."""
        problems = self.keys.revoke_all() if self.keys else []
        for session in reversed(self.sessions):
            try:
                self.auth.Logout(self.pb.gateway.LogoutRequest(), metadata=session, timeout=CALL_S)
            except grpc.RpcError:
                pass  # a session ends by itself after XSC_SESSION_TTL_SECONDS
        return problems
