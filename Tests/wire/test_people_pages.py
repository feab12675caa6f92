"""The people's pages (issue 20) in a real headless Chromium: the salesperson's (my customers,
the follow-ups due today and colleagues' tasks, adding a follow-up, completing a task), the
intermediary's (my referral code, my pending / approved / paid rewards) and the regional
manager's (statements waiting for sign-off, the PDF, the signature), against the real binaries
(gateway, orders, customers, notifications, settlements on a fresh database, the drill
organisation seeded). Set-ups the pages do not offer (customers, an alliance order taken to its
return visit, the week's close) go through the gateway over gRPC as the people themselves.

Shown: each role sees its own data on its page; a salesperson of another team finds nothing of
this team's customers by name or phone; a reward appears on the intermediary's page after the
visited alliance order carrying the code, and turns approved when the regional manager signs the
statement from the page; the statement's PDF opens from the page (%PDF); a refused action shows
the server's own message. Screenshots at 360 px and 1280 px land in Tests/wire/artifacts/
(git-ignored).

Needs DATABASE_URL, chromium and chromedriver (browser_support.py says when it skips)."""
from __future__ import annotations

import time
import uuid

import grpc
import pytest

import browser_support
from cluster_support import DRILL_PASSWORD, Cluster, eventually

T = 30
MANAGER, OFFICE_LEAD, DEALER, TEAM_ADMIN, SALESPERSON, INTERMEDIARY = (
    "13900000001", "13900000003", "13900000005", "13900000006", "13900000007", "13900000008")
DRILL_SKU, DRILL_PRICE = "drill-baijiu-500ml", 49_800
SECOND_INTERMEDIARY = "13900000019"


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    browser_support.require_chromium()
    with Cluster.started(tmp_path_factory.mktemp("people-pages"),
                         services=("gateway", "orders", "customers", "notifications", "settlements")) as running:
        running.seed_drill()
        yield running
        running.assert_all_running()


@pytest.fixture(scope="module")
def browser():
    opened = browser_support.new_browser()
    yield opened
    opened.quit()


class People:
    """The drill's people and what the tests add: another team's salesperson, customers."""

    def __init__(self, cluster: Cluster):
        self.cluster = cluster
        self.pb = cluster.stubs
        channel = cluster.gateway_channel()
        self.customers = self.pb.customers_grpc.CustomerServiceStub(channel)
        self.settlements = self.pb.settlements_grpc.SettlementServiceStub(channel)
        self.orders = self.pb.orders_grpc.OrderServiceStub(channel)
        self.ids = cluster.account_ids()

    def who(self, phone: str, key: bool = False) -> list:
        metadata = list(self.cluster.session(phone))
        return metadata + [("idempotency-key", uuid.uuid4().hex)] if key else metadata

    def customer(self, phone: str, name: str, customer_phone: str):
        request = self.pb.customers.CreateCustomerRequest(customer=self.pb.customers.CustomerInput(
            name=name, phones=[customer_phone], address="重庆市渝中区民生路 8 号", district_id="cq-o1-d3",
            kind=self.pb.customers.CUSTOMER_KIND_GIFT, grade=self.pb.customers.GRADE_A))
        return self.customers.CreateCustomer(request, metadata=self.who(phone, key=True), timeout=T).customer

    def follow_up(self, phone: str, customer_id: str, content: str, next_ms: int = 0, ask: tuple = ()):
        c = self.pb.customers
        request = c.AddFollowUpRequest(customer_id=customer_id, channel=c.CHANNEL_PHONE, content=content,
                                       outcome=c.OUTCOME_CALL_BACK, next_follow_up_at_ms=next_ms, ask_account_ids=list(ask))
        return self.customers.AddFollowUp(request, metadata=self.who(phone), timeout=T)


@pytest.fixture(scope="module")
def people(cluster):
    built = People(cluster)
    pb = cluster.stubs
    # Another team beside the drill's t7 (same district), with its own salesperson and customer.
    org = pb.gateway_grpc.OrgServiceStub(cluster.gateway_channel())
    org.CreateNode(pb.gateway.CreateNodeRequest(parent_path="/hq/cq/cq-o1/cq-o1-d3", slug="t8", name="第八团购小组",
                                                kind=pb.gateway.NODE_KIND_TEAM), metadata=cluster.admin(), timeout=T)
    built.other_seller = "13900000018"
    pb.gateway_grpc.AccountServiceStub(cluster.gateway_channel()).CreateAccount(pb.gateway.CreateAccountRequest(
        name="业务员 孙", phone=built.other_seller, role=pb.gateway.ACCOUNT_ROLE_SALESPERSON,
        node_path="/hq/cq/cq-o1/cq-o1-d3/t8", initial_password=DRILL_PASSWORD), metadata=cluster.admin(), timeout=T)
    built.ids = cluster.account_ids()
    # The directory feed brings the new account to customers (team membership) before it acts.
    eventually("the other team's salesperson reached customers", lambda: _try(
        lambda: built.customer(built.other_seller, "别队客户 周", "13698760008")))
    built.other_customer = built.customers.SearchCustomers(pb.customers.SearchCustomersRequest(name="别队客户 周"),
                                                           metadata=built.who(built.other_seller), timeout=T).customers[0]
    # The drill salesperson's customers: one due today, one without a next follow-up.
    built.due_customer = built.customer(SALESPERSON, "今天回访 吴", "13712340001")
    built.quiet_customer = built.customer(SALESPERSON, "老客户 郑", "13712340002")
    built.due_at_ms = int(time.time() * 1000) + 60_000
    built.follow_up(SALESPERSON, built.due_customer.id, "约好今天下午再打电话", next_ms=built.due_at_ms)
    built.follow_up(SALESPERSON, built.quiet_customer.id, "送过样品，暂不需要")
    # The team admin asks the salesperson to follow up too: a task on the salesperson's list.
    # (Asked people must be known to customers: the directory feed, again.)
    asked = eventually("the salesperson reached customers' directory", lambda: _try(lambda: built.follow_up(
        TEAM_ADMIN, built.quiet_customer.id, "请业务员赵再联系一次", ask=(built.ids[SALESPERSON],))))
    assert [t.assignee_account_id for t in asked.tasks] == [built.ids[SALESPERSON]]
    built.task = asked.tasks[0]
    return built


def built_due_today(people) -> bool:
    day_ms, shanghai_ms = 86_400_000, 8 * 3_600_000
    end_of_today = (int(time.time() * 1000) + shanghai_ms) // day_ms * day_ms + day_ms - shanghai_ms
    return people.due_at_ms < end_of_today


def _try(call):
    try:
        return call()
    except grpc.RpcError:
        return None


# -- the browser ---------------------------------------------------------------------------------

def wait_for(browser, condition, what: str, timeout: float = T):
    from selenium.common.exceptions import StaleElementReferenceException
    from selenium.webdriver.support.ui import WebDriverWait
    try:
        # An element found just before the page navigated goes stale: look again.
        return WebDriverWait(browser, timeout, poll_frequency=0.05,
                             ignored_exceptions=(StaleElementReferenceException,)).until(lambda b: condition(b))
    except Exception as error:  # TimeoutException: say what was awaited, with the page's text and console
        logs = browser.get_log("browser") if hasattr(browser, "get_log") else []
        raise AssertionError(f"waited {timeout}s for {what}; page text:\n{browser.find_element('tag name', 'body').text}\n"
                             f"console: {logs}") from error


def open_page(cluster, browser, phone: str, page: str):
    """Signs in on the login page (a fresh session) and lands on `page` once it has loaded."""
    from selenium.webdriver.common.by import By
    browser.get(cluster.http_url() + "/app/")
    browser.execute_script("sessionStorage.clear()")
    browser.get(cluster.http_url() + "/app/?next=/app/" + page)
    browser.find_element(By.ID, "phone").send_keys(phone)
    browser.find_element(By.ID, "password").send_keys(DRILL_PASSWORD)
    browser.find_element(By.ID, "submit").click()
    wait_for(browser, lambda b: b.execute_script("return location.pathname === arguments[0] && document.body.dataset.loaded === 'true'",
                                                 "/app/" + page), f"{page} loaded")


def texts(browser, selector: str) -> list[str]:
    from selenium.webdriver.common.by import By
    return [element.text for element in browser.find_elements(By.CSS_SELECTOR, selector)]


def no_horizontal_scroll(browser) -> bool:
    return browser.execute_script("return document.documentElement.scrollWidth <= window.innerWidth")


def screenshots(browser, name: str):
    """The page at 360 and 1280 CSS pixels (as test_board_web.py does): no sideways scrolling at
    either, a screenshot of each in Tests/wire/artifacts/."""
    for width in (360, 1280):
        browser_support.viewport(browser, width)
        assert no_horizontal_scroll(browser), f"{name} breaks its layout at {width} px"
        browser_support.screenshot(browser, name, width)
    browser_support.reset_viewport(browser)


def search(browser, name: str = "", phone: str = "", scope: str = "mine"):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select
    for field, value in (("q-name", name), ("q-phone", phone)):
        element = browser.find_element(By.ID, field)
        element.clear()
        element.send_keys(value)
    Select(browser.find_element(By.ID, "q-scope")).select_by_value(scope)
    answered = int(browser.find_element(By.TAG_NAME, "body").get_attribute("data-searches") or 0)
    browser.find_element(By.ID, "search-submit").click()
    wait_for(browser, lambda b: int(b.find_element(By.TAG_NAME, "body").get_attribute("data-searches") or 0) > answered,
             "the search answered")
    assert not browser.find_elements(By.CSS_SELECTOR, "#search-message.error"), browser.find_element(By.ID, "search-message").text


# -- the salesperson ---------------------------------------------------------------------------

def test_the_salesperson_sees_own_customers_and_todays_follow_ups_and_adds_one(cluster, people, browser):
    from selenium.webdriver.common.by import By
    open_page(cluster, browser, SALESPERSON, "sales.html")
    due = texts(browser, "#due .customer .name")
    # (Due today unless the test ran in the last minute before midnight in Asia/Shanghai.)
    assert due == (["今天回访 吴"] if built_due_today(people) else []), due
    assert texts(browser, "#tasks .task .name") == ["老客户 郑"]
    mine = texts(browser, "#customers .customer .name")
    assert set(mine) == {"今天回访 吴", "老客户 郑"}, mine
    assert "null" not in browser.find_element(By.TAG_NAME, "main").text and "undefined" not in browser.find_element(By.TAG_NAME, "main").text

    # Add a follow-up to the quiet customer from its card, with a next follow-up tomorrow.
    card = browser.find_element(By.CSS_SELECTOR, f"#customers [data-customer-id='{people.quiet_customer.id}']")
    card.find_element(By.CSS_SELECTOR, "button.add-follow-up").click()
    card.find_element(By.CSS_SELECTOR, "textarea.content").send_keys("电话回访：中秋要两箱，下周送样")
    card.find_element(By.CSS_SELECTOR, "button.submit-follow-up").click()
    wait_for(browser, lambda b: "电话回访：中秋要两箱，下周送样" in card.find_element(By.CSS_SELECTOR, ".history").text,
             "the new follow-up in the customer's history")
    assert "跟进已保存" in card.find_element(By.CSS_SELECTOR, ".message").text
    listed = people.customers.ListFollowUps(cluster.stubs.customers.ListFollowUpsRequest(customer_id=people.quiet_customer.id),
                                            metadata=people.who(SALESPERSON), timeout=T).follow_ups
    newest = listed[0]
    assert newest.content == "电话回访：中秋要两箱，下周送样" and newest.author_account_id == people.ids[SALESPERSON]
    assert newest.channel == cluster.stubs.customers.CHANNEL_PHONE and newest.next_follow_up_at_ms > int(time.time() * 1000)

    # Complete the colleague's task.
    task = browser.find_element(By.CSS_SELECTOR, f"#tasks [data-task-id='{people.task.id}']")
    task.find_element(By.CSS_SELECTOR, "button.complete-task").click()
    wait_for(browser, lambda b: "已完成" in task.text, "the task completed")
    open_tasks = people.customers.ListMyTasks(cluster.stubs.customers.ListMyTasksRequest(), metadata=people.who(SALESPERSON),
                                              timeout=T).tasks
    assert people.task.id not in {t.id for t in open_tasks}
    screenshots(browser, "people-sales")


def test_a_refused_follow_up_shows_the_servers_own_message(cluster, people, browser):
    from selenium.webdriver.common.by import By
    open_page(cluster, browser, SALESPERSON, "sales.html")
    card = browser.find_element(By.CSS_SELECTOR, f"#customers [data-customer-id='{people.due_customer.id}']")
    card.find_element(By.CSS_SELECTOR, "button.add-follow-up").click()
    # Nothing typed: the page sends it as is and customers refuses it.
    card.find_element(By.CSS_SELECTOR, "button.submit-follow-up").click()
    wait_for(browser, lambda b: "error" in card.find_element(By.CSS_SELECTOR, ".message").get_attribute("class"),
             "the refusal on the card")
    shown = card.find_element(By.CSS_SELECTOR, ".message").text
    with pytest.raises(grpc.RpcError) as refused:
        people.follow_up(SALESPERSON, people.due_customer.id, "", next_ms=int(time.time() * 1000) + 86_400_000)
    assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert shown.startswith("输入有误：" + refused.value.details()), (shown, refused.value.details())
    assert "content" in shown  # the field violation the server listed
    assert card.find_element(By.CSS_SELECTOR, ".message").get_attribute("role") == "alert"


def test_a_salesperson_of_another_team_finds_nothing_of_this_teams_customers(cluster, people, browser):
    from selenium.webdriver.common.by import By
    open_page(cluster, browser, people.other_seller, "sales.html")
    assert texts(browser, "#customers .customer .name") == ["别队客户 周"]
    assert texts(browser, "#due .customer") == [] and texts(browser, "#tasks .task") == []
    for name, phone in (("今天回访 吴", ""), ("", "13712340001"), ("老客户", ""), ("", "137123400")):
        search(browser, name=name, phone=phone, scope="team")
        wait_for(browser, lambda b: b.find_element(By.ID, "customers-empty").is_displayed(), f"no result for {name or phone}")
        assert texts(browser, "#customers .customer") == [], (name, phone)
    # The same search finds the team's own customer: the empty answers above are the closed team.
    search(browser, phone="13698760008", scope="team")
    wait_for(browser, lambda b: texts(b, "#customers .customer .name") == ["别队客户 周"], "the own team's customer")
    # And the drill salesperson finds nothing of the other team either.
    open_page(cluster, browser, SALESPERSON, "sales.html")
    search(browser, phone="13698760008", scope="team")
    wait_for(browser, lambda b: b.find_element(By.ID, "customers-empty").is_displayed(), "nothing of the other team")


# -- the intermediary and the regional manager ---------------------------------------------------

@pytest.fixture(scope="module")
def visited_order(cluster, people):
    """The region's reward rule (3% of actual sales), then an alliance order carrying the
    intermediary's referral code (as the alliance site submits it) taken through the real
    orders flow to its return visit; orders' outbox brings the visit to settlements."""
    pb = cluster.stubs
    code = people.customers.GetMyReferralCode(pb.customers.GetMyReferralCodeRequest(), metadata=people.who(INTERMEDIARY),
                                              timeout=T).code
    people.settlements.SetRewardRule(pb.settlements.SetRewardRuleRequest(region_id="cq", percent_basis_points=300),
                                     metadata=people.who(MANAGER, key=True), timeout=T)
    alliance = cluster.create_partner_key("alliance-site", "alliance")
    o = pb.orders

    def visited(referral_code: str, customer_phone: str):
        external_id = "people-" + uuid.uuid4().hex[:10]
        request = o.SubmitOrderRequest(
            source=o.SOURCE_ALLIANCE, external_id=external_id, referrer_code=referral_code, delivery_district_id="cq-o1-d3",
            customer=o.Customer(name="顾客 冯", phone=customer_phone, address="重庆市渝中区解放碑 9 号"),
            lines=[o.OrderLine(sku_id=DRILL_SKU, quantity=2, unit_price_fen=DRILL_PRICE)])
        order = people.orders.SubmitOrder(request, metadata=alliance + [("idempotency-key", external_id)], timeout=T).order
        people.orders.Acknowledge(o.AcknowledgeRequest(order_id=order.id), metadata=people.who(OFFICE_LEAD), timeout=T)
        people.orders.Assign(o.AssignRequest(order_id=order.id, assignee_account_id=people.ids[DEALER],
                                             assignee_kind=o.ASSIGNEE_KIND_DEALER), metadata=people.who(OFFICE_LEAD), timeout=T)
        people.orders.Accept(o.AcceptRequest(order_id=order.id), metadata=people.who(DEALER), timeout=T)
        people.orders.MarkDelivered(o.MarkDeliveredRequest(order_id=order.id), metadata=people.who(DEALER), timeout=T)
        people.orders.RecordReturnVisit(o.RecordReturnVisitRequest(
            order_id=order.id, lines=[o.ActualLine(sku_id=DRILL_SKU, actual_quantity=2)], evaluation_score=5),
            metadata=people.who(OFFICE_LEAD), timeout=T)
        return order

    # A second intermediary of the team, so the week has a second statement waiting.
    pb.gateway_grpc.AccountServiceStub(cluster.gateway_channel()).CreateAccount(pb.gateway.CreateAccountRequest(
        name="中间人 钱", phone=SECOND_INTERMEDIARY, role=pb.gateway.ACCOUNT_ROLE_INTERMEDIARY,
        node_path="/hq/cq/cq-o1/cq-o1-d3/t7", initial_password=DRILL_PASSWORD), metadata=cluster.admin(), timeout=T)
    people.ids = cluster.account_ids()
    second_code = people.customers.GetMyReferralCode(pb.customers.GetMyReferralCodeRequest(),
                                                     metadata=people.who(SECOND_INTERMEDIARY), timeout=T).code
    return {"code": code, "order": visited(code, "13712340009"), "second_order": visited(second_code, "13712340010")}


def earning_rows(browser) -> dict[str, str]:
    from selenium.webdriver.common.by import By
    return {row.get_attribute("data-order-code"): row.get_attribute("data-state")
            for row in browser.find_elements(By.CSS_SELECTOR, "#lines .earning")}


def test_the_intermediary_sees_the_code_and_a_reward_after_a_visited_alliance_order(cluster, people, browser, visited_order):
    from selenium.webdriver.common.by import By
    code, order = visited_order["code"], visited_order["order"]
    open_page(cluster, browser, INTERMEDIARY, "referrer.html")
    assert browser.find_element(By.ID, "code").text == code
    assert code in browser.find_element(By.ID, "share-text").get_attribute("value")
    browser.find_element(By.ID, "copy-code").click()
    wait_for(browser, lambda b: "已复制" in b.find_element(By.ID, "copy-message").text
             or "已选中" in b.find_element(By.ID, "copy-message").text, "the copy button answered")

    # The reward accrues when settlements gets the visit (orders' outbox): refresh until it shows.
    def shown():
        browser.find_element(By.ID, "refresh").click()
        wait_for(browser, lambda b: b.find_element(By.ID, "refresh").is_enabled(), "the refresh answered")
        return earning_rows(browser).get(order.code)
    assert eventually("the reward on the intermediary's page", shown) == "EARNING_STATE_PENDING"
    # 3% of 2 x 498 yuan.
    assert browser.find_element(By.ID, "pending").text == "¥29.88"
    assert browser.find_element(By.ID, "approved").text == "¥0.00"
    screenshots(browser, "people-referrer")


def test_the_regional_manager_opens_the_pdf_and_signs_and_the_statement_leaves_the_list(cluster, people, browser, visited_order):
    from selenium.webdriver.common.by import By
    pb = cluster.stubs
    order = visited_order["order"]
    for phone, code in ((INTERMEDIARY, order.code), (SECOND_INTERMEDIARY, visited_order["second_order"].code)):
        eventually("the reward accrued", lambda: any(line.line.order_code == code for line in people.settlements.GetMyEarnings(
            pb.settlements.GetMyEarningsRequest(), metadata=people.who(phone), timeout=T).lines))
    # The week closes (the Monday timer does it; a regional manager can close it early).
    closed = people.settlements.CloseWeek(pb.settlements.CloseWeekRequest(before_end=True,
                                          week=_week_now()), metadata=people.who(MANAGER), timeout=T)
    assert closed.statements >= 1
    statement, second = (next(s for s in people.settlements.ListStatements(
        pb.settlements.ListStatementsRequest(payee_account_id=people.ids[payee]),
        metadata=people.who(MANAGER), timeout=T).statements if s.state == pb.settlements.STATEMENT_STATE_DRAFT)
        for payee in (INTERMEDIARY, SECOND_INTERMEDIARY))

    open_page(cluster, browser, MANAGER, "statements.html")
    item = browser.find_element(By.CSS_SELECTOR, f"#statements [data-statement-id='{statement.statement_id}']")
    assert "¥29.88" in item.text and "中间人 黄" in item.text
    screenshots(browser, "people-statements")

    before = set(browser.window_handles)
    item.find_element(By.CSS_SELECTOR, "button.open-pdf").click()
    link = wait_for(browser, lambda b: item.find_elements(By.CSS_SELECTOR, "a.pdf-link"), "the PDF links")[0]
    href = link.get_attribute("href")
    assert href.startswith("blob:")
    # The page's Blob is the server's file byte for byte in size (the page checked its %PDF- head
    # before showing the link; the page's own connect-src 'self' keeps a test from fetching a blob:).
    exported = people.settlements.ExportStatement(pb.settlements.ExportStatementRequest(
        statement_id=statement.statement_id, format=pb.settlements.EXPORT_FORMAT_PDF), metadata=people.who(MANAGER), timeout=T)
    assert exported.content.startswith(b"%PDF-") and int(link.get_attribute("data-bytes")) == len(exported.content)
    # The browser opened it in a new tab, as the PDF it is.
    opened = wait_for(browser, lambda b: set(b.window_handles) - before, "the PDF's tab")
    main = browser.current_window_handle
    browser.switch_to.window(opened.pop())
    try:
        assert browser.current_url == href
        assert wait_for(browser, lambda b: b.execute_script("return document.contentType"), "the tab's document") == "application/pdf"
        # For the artifact only (nothing is asserted on it): Chromium's viewer draws the page a
        # moment after the document exists, out of the page's reach.
        time.sleep(2)
        browser_support.screenshot(browser, "people-statement-pdf", 1280)
        browser_support.reset_viewport(browser)
    finally:
        browser.close()
        browser.switch_to.window(main)

    item.find_element(By.CSS_SELECTOR, "button.sign").click()
    wait_for(browser, lambda b: not b.find_elements(By.CSS_SELECTOR, f"#statements [data-statement-id='{statement.statement_id}']"),
             "the statement leaving the waiting list")
    assert browser.find_elements(By.CSS_SELECTOR, f"#signed [data-statement-id='{statement.statement_id}']")
    signed = people.settlements.GetStatement(pb.settlements.GetStatementRequest(statement_id=statement.statement_id),
                                             metadata=people.who(MANAGER), timeout=T).statement
    assert signed.state == pb.settlements.STATEMENT_STATE_SIGNED and signed.signed_by_account_id == people.ids[MANAGER]
    # A fresh load: the statement no longer waits.
    open_page(cluster, browser, MANAGER, "statements.html")
    assert not browser.find_elements(By.CSS_SELECTOR, f"#statements [data-statement-id='{statement.statement_id}']")

    # The second statement, signed behind the page's back (another tab): the page's signature
    # is refused and the card shows settlements' own message.
    other = browser.find_element(By.CSS_SELECTOR, f"#statements [data-statement-id='{second.statement_id}']")
    people.settlements.SignStatement(pb.settlements.SignStatementRequest(statement_id=second.statement_id),
                                     metadata=people.who(MANAGER), timeout=T)
    with pytest.raises(grpc.RpcError) as again:
        people.settlements.SignStatement(pb.settlements.SignStatementRequest(statement_id=second.statement_id),
                                         metadata=people.who(MANAGER), timeout=T)
    assert again.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    other.find_element(By.CSS_SELECTOR, "button.sign").click()
    wait_for(browser, lambda b: "error" in other.find_element(By.CSS_SELECTOR, ".message").get_attribute("class"), "the refusal")
    assert other.find_element(By.CSS_SELECTOR, ".message").text == "当前状态不允许此操作：" + again.value.details()

    # The intermediary's page shows the reward approved, then paid once the dealer pays.
    open_page(cluster, browser, INTERMEDIARY, "referrer.html")
    assert earning_rows(browser).get(order.code) == "EARNING_STATE_APPROVED"
    assert browser.find_element(By.ID, "approved").text == "¥29.88"
    people.settlements.RecordPayment(pb.settlements.RecordPaymentRequest(
        statement_id=statement.statement_id, payment_reference="工行转账 0001", paid_on_ms=int(time.time() * 1000)),
        metadata=people.who(DEALER), timeout=T)
    open_page(cluster, browser, INTERMEDIARY, "referrer.html")
    assert earning_rows(browser).get(order.code) == "EARNING_STATE_PAID"
    assert [browser.find_element(By.ID, name).text for name in ("pending", "approved", "paid")] == ["¥0.00", "¥0.00", "¥29.88"]


def _week_now() -> str:
    from datetime import datetime
    from zoneinfo import ZoneInfo
    year, week, _ = datetime.now(ZoneInfo("Asia/Shanghai")).isocalendar()
    return f"{year}-W{week:02d}"



def test_the_pages_carry_no_inline_script_and_their_routes_want_a_session(cluster):
    import re

    import requests
    base = cluster.http_url()
    for name in ("sales.html", "referrer.html", "statements.html", "people.js", "people.css", "sales.js", "referrer.js", "statements.js"):
        answer = requests.get(base + "/app/" + name, timeout=T)
        assert answer.status_code == 200 and "script-src 'self'" in answer.headers["content-security-policy"], name
        if name.endswith(".html"):
            assert not re.search(r"<script(?![^>]*\bsrc=)", answer.text) and not re.search(r"\son[a-z]+=", answer.text), name
        if name.endswith(".js"):
            # Text from data goes in with textContent (XSC.el), never as markup.
            assert "innerHTML" not in answer.text and "insertAdjacentHTML" not in answer.text, name
    for method, path in [("GET", "/v1/staff/customers"), ("GET", "/v1/staff/tasks"), ("GET", "/v1/staff/referral-code"),
                         ("GET", "/v1/staff/earnings"), ("GET", "/v1/staff/statements"),
                         ("POST", "/v1/staff/statements/00000000-0000-0000-0000-000000000000/sign")]:
        answer = requests.request(method, base + path, json={} if method == "POST" else None, timeout=T)
        assert answer.status_code == 401, (path, answer.text)
