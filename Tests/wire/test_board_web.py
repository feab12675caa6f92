"""The board and the order lead's page in a real headless Chromium (issue 20), against the
system `make up` runs (cluster_support's Cluster: gateway, orders, notifications on a fresh
database, the drill organisation seeded): each role logs in on the login page; the board shows a
freshly submitted order and its countdown; the lead acknowledges and assigns from the page while
the board, in a second browser, follows; a refused action shows the server's own message; a
customer service of another region sees nothing of this region. Screenshots at 360 px and
1280 px land in Tests/wire/artifacts/ (git-ignored).

Needs DATABASE_URL, chromium and chromedriver (browser_support.py says when it skips)."""
from __future__ import annotations

import re
import time
import uuid

import pytest
import requests

import browser_support
from cluster_support import DRILL_PASSWORD

T = 30
MANAGER, CS, OFFICE_LEAD, DISTRICT_LEAD, DEALER, SALESPERSON = (
    "13900000001", "13900000002", "13900000003", "13900000004", "13900000005", "13900000007")


@pytest.fixture(scope="module")
def cluster(standard_cluster):
    global _gateway_output
    browser_support.require_chromium()
    _gateway_output = lambda: standard_cluster.output("gateway")[-6000:]  # noqa: E731
    yield standard_cluster
    standard_cluster.assert_all_running()


@pytest.fixture(scope="module")
def key(cluster):
    return cluster.drill_partner_key()


@pytest.fixture(scope="module")
def browsers():
    """Two browsers for the module (each has its own sessionStorage, so its own session):
    "board" for the customer service, "lead" for whoever acts."""
    opened = {}

    def get(name: str):
        if name not in opened:
            opened[name] = browser_support.new_browser()
        return opened[name]
    yield get
    for browser in opened.values():
        browser.quit()


_gateway_output = None  # set by the cluster fixture: the gateway's log, shown when a wait fails


def wait_for(browser, condition, what: str, timeout: float = T):
    """`condition(browser)` once truthy; a page being replaced under the probe (a navigation)
    only means "not yet"."""
    from selenium.common.exceptions import TimeoutException, WebDriverException
    from selenium.webdriver.support.ui import WebDriverWait
    try:
        # WebDriverException covers the stale-node errors of a list the page just re-rendered.
        return WebDriverWait(browser, timeout, poll_frequency=0.05, ignored_exceptions=(WebDriverException,)
                             ).until(lambda b: condition(b))
    except TimeoutException as error:  # say what was awaited, with the page, its console and the gateway's log
        raise AssertionError(f"waited {timeout}s for {what}; page text:\n{browser.find_element('tag name', 'body').text}\n"
                             f"console: {browser.get_log('browser')}\n"
                             f"gateway log (end):\n{_gateway_output() if _gateway_output else ''}") from error


def sign_in(cluster, browser, phone: str, password: str = DRILL_PASSWORD, page: str = ""):
    from selenium.webdriver.common.by import By
    browser.get(cluster.http_url() + "/app/" + ("?next=" + page if page else ""))
    browser.execute_script("sessionStorage.clear()")
    browser.get(cluster.http_url() + "/app/" + ("?next=" + page if page else ""))
    browser.find_element(By.ID, "phone").send_keys(phone)
    browser.find_element(By.ID, "password").send_keys(password)
    browser.find_element(By.ID, "submit").click()


def open_live(cluster, browser, phone: str, page: str):
    sign_in(cluster, browser, phone, page=page)
    # Live, and the first snapshot shown (so an empty page is an empty board, not a slow one).
    wait_for(browser, lambda b: b.find_element("tag name", "body").get_attribute("data-feed") == "live"
             and b.find_element("tag name", "body").get_attribute("data-snapshots"), f"{page} live")


def submit(cluster, key: str) -> str:
    external_id = "web-" + uuid.uuid4().hex[:10]
    body = {"source": "SOURCE_MALL", "externalId": external_id, "deliveryDistrictId": "cq-o1-d3",
            "customer": {"name": "顾客 孙<script>alert(1)</script>", "phone": "13700000003", "address": "重庆市渝中区解放碑 3 号"},
            "lines": [{"skuId": "drill-baijiu-500ml", "quantity": 2, "unitPriceFen": "52800"}]}
    answer = requests.post(cluster.http_url() + "/v1/orders", json=body, timeout=T,
                           headers={"Authorization": "Bearer " + key, "Idempotency-Key": external_id})
    assert answer.status_code == 200, answer.text
    return answer.json()["order"]["id"]


def row_on(browser, order_id: str, lane: str | None = None):
    from selenium.webdriver.common.by import By
    scope = f"#lane-{lane} " if lane else ""
    found = browser.find_elements(By.CSS_SELECTOR, f'{scope}[data-order-id="{order_id}"]')
    return found[0] if found else None


def row_info(browser, order_id: str, lane: str | None = None) -> dict | None:
    """What a row shows, read in one script (the board re-renders its lists on every change, so
    element handles go stale between two WebDriver calls)."""
    return browser.execute_script("""
        const row = document.querySelector((arguments[1] ? '#lane-' + arguments[1] + ' ' : '') + '[data-order-id="' + arguments[0] + '"]');
        if (!row) return null;
        const countdown = row.querySelector('.countdown');
        return {state: row.dataset.state, text: row.textContent, countdown: countdown ? countdown.textContent : null,
                scripts: row.querySelectorAll('script').length};""", order_id, lane)


def no_horizontal_scroll(browser) -> bool:
    return browser.execute_script("return document.documentElement.scrollWidth <= window.innerWidth")


# -- each role -------------------------------------------------------------------------------

@pytest.mark.parametrize("phone,role,pages", [
    (MANAGER, "片区经理", ["订单看板", "待我处理的订单", "待签字结算单"]),
    (CS, "片区客服", ["订单看板", "待我处理的订单"]),
    (OFFICE_LEAD, "办事处订单负责人", ["订单看板", "待我处理的订单"]),
    (DISTRICT_LEAD, "区县订单负责人", ["订单看板", "待我处理的订单"]),
    (DEALER, "经销商", []),
    (SALESPERSON, "业务员", ["我的客户与跟进"]),
    ("13900000008", "中间人", ["我的推荐码与奖励"]),
])
def test_each_role_logs_in_and_sees_its_pages(cluster, key, browsers, phone, role, pages):
    from selenium.webdriver.common.by import By
    browser = browsers("lead")
    sign_in(cluster, browser, phone)
    wait_for(browser, lambda b: b.find_element(By.ID, "pages").is_displayed(), "the page list")
    assert role in browser.find_element(By.ID, "hello").text
    links = [a.text for a in browser.find_elements(By.CSS_SELECTOR, "#links a")]
    assert links == pages


def test_a_wrong_password_shows_the_servers_message(cluster, key, browsers):
    from selenium.webdriver.common.by import By
    browser = browsers("lead")
    sign_in(cluster, browser, CS, password="wrong-password-1")
    message = wait_for(browser, lambda b: b.find_element(By.ID, "message") if b.find_element(By.ID, "message").text else None,
                       "the login refusal")
    expected = requests.post(cluster.http_url() + "/v1/staff/login", json={"phone": CS, "password": "wrong-password-1"},
                             timeout=T).json()["message"]
    # A Chinese headline for the code (UNAUTHENTICATED), then the server's own text.
    assert message.text == "身份验证未通过：" + expected and "error" in message.get_attribute("class")


# -- the board -----------------------------------------------------------------------------------

def test_the_board_shows_a_new_order_with_its_countdown(cluster, key, browsers):
    board = browsers("board")
    open_live(cluster, board, CS, "/app/board.html")
    submitted = time.monotonic()
    order_id = submit(cluster, key)
    first = wait_for(board, lambda b: (r := row_info(b, order_id, "BOARD_LANE_WAITING")) and r["countdown"] and r,
                     "the new order in the waiting lane")
    print(f"\nnew order on the board after {1000 * (time.monotonic() - submitted):.0f} ms (page polled every 50 ms)")
    assert re.fullmatch(r"剩 [0-9]+:[0-5][0-9]", first["countdown"]), first
    # It counts down on its own (no request in between): a later reading differs.
    wait_for(board, lambda b: row_info(b, order_id)["countdown"] != first["countdown"], "the countdown ticking")
    # A customer's name is text, never markup.
    assert "<script>alert(1)</script>" in first["text"] and first["scripts"] == 0
    for width in (360, 1280):
        browser_support.viewport(board, width)
        assert no_horizontal_scroll(board), f"the board breaks its layout at {width} px"
        browser_support.screenshot(board, "board", width)
    browser_support.reset_viewport(board)


def test_the_lead_acknowledges_and_assigns_from_the_page_and_the_board_follows(cluster, key, browsers):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select
    board, lead = browsers("board"), browsers("lead")
    if board.find_element("tag name", "body").get_attribute("data-feed") != "live":
        open_live(cluster, board, CS, "/app/board.html")
    open_live(cluster, lead, OFFICE_LEAD, "/app/lead.html")
    order_id = submit(cluster, key)
    card = wait_for(lead, lambda b: row_on(b, order_id), "the order on the lead's page")
    wait_for(board, lambda b: row_on(b, order_id, "BOARD_LANE_WAITING"), "the order on the board")

    card.find_element(By.CSS_SELECTOR, "button.acknowledge").click()
    wait_for(board, lambda b: (row_info(b, order_id) or {}).get("state") == "acknowledged", "the board showing the acknowledgement")
    select = wait_for(lead, lambda b: (c := row_on(b, order_id)) and c.find_elements(By.CSS_SELECTOR, "select.assignee option[data-role]")
                      and c.find_element(By.CSS_SELECTOR, "select.assignee"), "the assignee list")
    for width in (360, 1280):
        browser_support.viewport(lead, width)
        assert no_horizontal_scroll(lead), f"the lead's page breaks its layout at {width} px"
        browser_support.screenshot(lead, "lead", width)
    browser_support.reset_viewport(lead)
    Select(select).select_by_visible_text("经销商 陈（经销商）")
    row_on(lead, order_id).find_element(By.CSS_SELECTOR, "button.assign").click()
    wait_for(board, lambda b: (row_info(b, order_id) or {}).get("state") == "assigned", "the board showing the assignment")
    # The order is the dealer's now: it leaves the office lead's "waiting for me".
    wait_for(lead, lambda b: row_on(b, order_id) is None, "the order leaving the lead's page")


def test_a_refused_action_shows_the_servers_message(cluster, key, browsers):
    """The district lead, forwarded an order, acknowledges it and tries to forward it to a
    district lead (himself): orders refuses (a district lead assigns to a dealer) and the card
    shows orders' own message."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select
    order_id = submit(cluster, key)
    base = cluster.http_url()
    office = {"Authorization": "Bearer " + requests.post(base + "/v1/staff/login", json={"phone": OFFICE_LEAD, "password": DRILL_PASSWORD},
                                                        timeout=T).json()["sessionToken"]}
    assert requests.post(base + f"/v1/staff/orders/{order_id}/acknowledge", json={}, headers=office, timeout=T).status_code == 200
    district_lead = next(p for p in requests.get(base + "/v1/staff/assignees", params={"districtId": "cq-o1-d3"}, headers=office,
                                                 timeout=T).json()["assignees"] if p["role"] == "ACCOUNT_ROLE_DISTRICT_ORDER_LEAD")
    assert requests.post(base + f"/v1/staff/orders/{order_id}/assign", headers=office, timeout=T,
                         json={"assigneeAccountId": district_lead["accountId"], "assigneeKind": "ASSIGNEE_KIND_DISTRICT_LEAD"}).status_code == 200

    lead = browsers("lead")
    open_live(cluster, lead, DISTRICT_LEAD, "/app/lead.html")
    card = wait_for(lead, lambda b: row_on(b, order_id), "the forwarded order on the district lead's page")
    card.find_element(By.CSS_SELECTOR, "button.acknowledge").click()
    select = wait_for(lead, lambda b: (c := row_on(b, order_id)) and c.find_elements(By.CSS_SELECTOR, "select.assignee option[data-role]")
                      and c.find_element(By.CSS_SELECTOR, "select.assignee"), "the assignee list")
    Select(select).select_by_value(district_lead["accountId"])
    row_on(lead, order_id).find_element(By.CSS_SELECTOR, "button.assign").click()
    message = wait_for(lead, lambda b: (m := row_on(b, order_id).find_element(By.CSS_SELECTOR, ".message")) and "error" in m.get_attribute("class") and m,
                       "the refusal on the card")
    district = {"Authorization": "Bearer " + requests.post(base + "/v1/staff/login", json={"phone": DISTRICT_LEAD, "password": DRILL_PASSWORD},
                                                          timeout=T).json()["sessionToken"]}
    refused = requests.post(base + f"/v1/staff/orders/{order_id}/assign", headers=district, timeout=T,
                            json={"assigneeAccountId": district_lead["accountId"], "assigneeKind": "ASSIGNEE_KIND_DISTRICT_LEAD"})
    assert refused.status_code == 400
    status = refused.json()
    assert message.text.startswith("输入有误：" + status["message"])
    assert "a district lead assigns to a dealer" in message.text
    assert message.get_attribute("role") == "alert"


# -- information security --------------------------------------------------------------------

def test_a_person_of_another_region_sees_nothing_of_this_one(cluster, key, browsers):
    from selenium.webdriver.common.by import By
    pb, admin = cluster.stubs, cluster.admin()
    org = pb.gateway_grpc.OrgServiceStub(cluster.gateway_channel())
    accounts = pb.gateway_grpc.AccountServiceStub(cluster.gateway_channel())
    slug = "bw" + uuid.uuid4().hex[:6]
    org.CreateNode(pb.gateway.CreateNodeRequest(parent_path="/hq", slug=slug, name="另一片区", kind=pb.gateway.NODE_KIND_REGION),
                   metadata=admin, timeout=T)
    phone = "137" + str(uuid.uuid4().int)[:8]
    accounts.CreateAccount(pb.gateway.CreateAccountRequest(name="另一片区客服", phone=phone, role=pb.gateway.ACCOUNT_ROLE_CUSTOMER_SERVICE,
                                                           node_path="/hq/" + slug, initial_password=DRILL_PASSWORD),
                           metadata=admin, timeout=T)
    order_id = submit(cluster, key)
    # This region's board has it (so the other's empty board is not just a slow feed).
    board = browsers("board")
    if board.find_element("tag name", "body").get_attribute("data-feed") != "live":
        open_live(cluster, board, CS, "/app/board.html")
    wait_for(board, lambda b: row_on(b, order_id), "the order on its own region's board")

    other = browsers("lead")
    open_live(cluster, other, phone, "/app/board.html")
    assert other.find_elements(By.CSS_SELECTOR, "[data-order-id]") == []
    assert all(count.text == "0" for count in other.find_elements(By.CSS_SELECTOR, ".lane .count"))
    # Asking for the order by id from that session answers NOT_FOUND, as for a missing one.
    status = other.execute_script(
        "return fetch('/v1/staff/orders/' + arguments[0], {headers: {Authorization: 'Bearer ' + sessionStorage.getItem('xsc.session')}})"
        ".then(r => r.status)", order_id)
    assert status == 404


def test_the_return_visit_in_two_taps(cluster, key, browsers):
    """A delivered order waits for the office lead's return visit: one tap opens the form with
    the ordered quantities filled in, the second records it; the order leaves the page."""
    from selenium.webdriver.common.by import By
    order_id = submit(cluster, key)
    pb = cluster.stubs
    orders = pb.orders_grpc.OrderServiceStub(cluster.gateway_channel())
    lead, dealer = cluster.login(OFFICE_LEAD, DRILL_PASSWORD), cluster.login(DEALER, DRILL_PASSWORD)
    dealer_id = cluster.account_ids()[DEALER]
    orders.Acknowledge(pb.orders.AcknowledgeRequest(order_id=order_id), metadata=lead, timeout=T)
    orders.Assign(pb.orders.AssignRequest(order_id=order_id, assignee_account_id=dealer_id, assignee_kind=pb.orders.ASSIGNEE_KIND_DEALER),
                  metadata=lead, timeout=T)
    orders.Accept(pb.orders.AcceptRequest(order_id=order_id), metadata=dealer, timeout=T)
    orders.MarkDelivered(pb.orders.MarkDeliveredRequest(order_id=order_id), metadata=dealer, timeout=T)

    browser = browsers("lead")
    open_live(cluster, browser, OFFICE_LEAD, "/app/lead.html")
    card = wait_for(browser, lambda b: (c := row_on(b, order_id)) and c.get_attribute("data-state") == "delivered" and c,
                    "the delivered order on the lead's page")
    card.find_element(By.CSS_SELECTOR, "button.visit").click()
    submit_button = wait_for(browser, lambda b: row_on(b, order_id).find_elements(By.CSS_SELECTOR, "button.submit-visit"), "the visit form")[0]
    quantities = [i.get_attribute("value") for i in row_on(browser, order_id).find_elements(By.CSS_SELECTOR, "input.actual")]
    assert quantities == ["2"]
    submit_button.click()
    wait_for(browser, lambda b: row_on(b, order_id) is None, "the visited order leaving the page")
    visited = orders.GetOrder(pb.orders.GetOrderRequest(order_id=order_id), metadata=lead, timeout=T).order
    assert visited.state == pb.orders.ORDER_STATE_VISITED and visited.evaluation_score == 5

