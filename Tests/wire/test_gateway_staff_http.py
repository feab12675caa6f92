"""The staff pages' HTTP/JSON API of the gateway (issue 20) and the pages it serves, through
the real binaries with `requests` over HTTP/1.1: login, logout and who-am-i over JSON (the
gateway's own AuthService, in process), calls with and without a session token, the caller's
own rights at the backend (a refused action answers the same google.rpc.Status as over gRPC),
the assignee choice list, the board's live stream as server-sent events, and the static pages
with their security and cache headers.

Needs DATABASE_URL (a superuser URL; `make test` provides one)."""
from __future__ import annotations

import json
import re
import uuid

import grpc
import pytest
import requests

from cluster_support import DRILL_PASSWORD

T = 30
CS, OFFICE_LEAD, DISTRICT_LEAD, DEALER, SALESPERSON = "13900000002", "13900000003", "13900000004", "13900000005", "13900000007"


@pytest.fixture(scope="module")
def cluster(standard_cluster):
    # Only calls the system, so the session's shared one does (conftest.py).
    yield standard_cluster
    standard_cluster.assert_all_running()


@pytest.fixture(scope="module")
def drill(cluster):
    return cluster.drill_partner_key()


def login(cluster, phone: str, password: str = DRILL_PASSWORD) -> str:
    answer = requests.post(cluster.http_url() + "/v1/staff/login", json={"phone": phone, "password": password}, timeout=T)
    assert answer.status_code == 200, answer.text
    return answer.json()["sessionToken"]


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": "Bearer " + token}


def submit(cluster, key: str) -> str:
    external_id = "staff-" + uuid.uuid4().hex[:10]
    body = {"source": "SOURCE_MALL", "externalId": external_id, "deliveryDistrictId": "cq-o1-d3",
            "customer": {"name": "顾客 钱", "phone": "13700000002", "address": "重庆市渝中区解放碑 2 号"},
            "lines": [{"skuId": "drill-baijiu-500ml", "quantity": 1, "unitPriceFen": "52800"}]}
    answer = requests.post(cluster.http_url() + "/v1/orders", json=body, timeout=T,
                           headers={**bearer(key), "Idempotency-Key": external_id})
    assert answer.status_code == 200, answer.text
    return answer.json()["order"]["id"]


# -- sessions over JSON ----------------------------------------------------------------------

def test_login_whoami_and_logout_over_json(cluster, drill):
    base = cluster.http_url()
    answer = requests.post(base + "/v1/staff/login", json={"phone": OFFICE_LEAD, "password": DRILL_PASSWORD}, timeout=T)
    assert answer.status_code == 200 and answer.headers["cache-control"] == "no-store"
    body = answer.json()
    assert body["sessionToken"].startswith("xsc_st_") or body["sessionToken"]
    assert body["account"]["role"] == "ACCOUNT_ROLE_OFFICE_ORDER_LEAD" and body["account"]["nodePath"] == "/hq/cq/cq-o1"
    token = body["sessionToken"]

    me = requests.get(base + "/v1/staff/me", headers=bearer(token), timeout=T)
    assert me.status_code == 200 and me.json()["account"]["id"] == body["account"]["id"]

    out = requests.post(base + "/v1/staff/logout", json={}, headers=bearer(token), timeout=T)
    assert out.status_code == 200 and out.json() == {}
    after = requests.get(base + "/v1/staff/me", headers=bearer(token), timeout=T)
    assert after.status_code == 401 and after.json()["code"] == grpc.StatusCode.UNAUTHENTICATED.value[0]
    # The session is gone for gRPC too: one session store, one answer.
    auth = cluster.stubs.gateway_grpc.AuthServiceStub(cluster.gateway_channel())
    with pytest.raises(grpc.RpcError) as over_grpc:
        auth.WhoAmI(cluster.stubs.gateway.WhoAmIRequest(), metadata=[("authorization", "Bearer " + token)], timeout=T)
    assert over_grpc.value.code() == grpc.StatusCode.UNAUTHENTICATED


def test_a_wrong_password_and_a_bad_phone_answer_as_over_grpc(cluster, drill):
    base = cluster.http_url()
    wrong = requests.post(base + "/v1/staff/login", json={"phone": CS, "password": "not-the-password"}, timeout=T)
    assert wrong.status_code == 401 and wrong.headers.get("www-authenticate", "").lower().startswith("bearer")
    auth = cluster.stubs.gateway_grpc.AuthServiceStub(cluster.gateway_channel())
    with pytest.raises(grpc.RpcError) as over_grpc:
        auth.Login(cluster.stubs.gateway.LoginRequest(phone=CS, password="not-the-password"), timeout=T)
    assert wrong.json()["message"] == over_grpc.value.details()

    bad = requests.post(base + "/v1/staff/login", json={"phone": "12345", "password": ""}, timeout=T)
    assert bad.status_code == 400
    status = bad.json()
    assert status["code"] == grpc.StatusCode.INVALID_ARGUMENT.value[0]
    fields = {v["field"] for d in status["details"] if d["@type"].endswith("BadRequest") for v in d["fieldViolations"]}
    assert fields == {"phone", "password"}


# -- admission and the caller's own rights ----------------------------------------------------

def test_without_a_token_nothing_answers_but_the_login(cluster, drill):
    base = cluster.http_url()
    for method, path in [("GET", "/v1/staff/me"), ("GET", "/v1/staff/orders"), ("GET", "/v1/staff/board"),
                         ("GET", "/v1/staff/assignees"), ("POST", "/v1/staff/orders/x/acknowledge")]:
        answer = requests.request(method, base + path, json={} if method == "POST" else None, timeout=T)
        assert answer.status_code == 401, (path, answer.text)
        assert answer.json()["code"] == grpc.StatusCode.UNAUTHENTICATED.value[0]
    garbage = requests.get(base + "/v1/staff/orders", headers=bearer("xsc_st_not-a-session"), timeout=T)
    assert garbage.status_code == 401


def test_with_a_token_the_backend_answers_with_the_callers_own_view(cluster, drill):
    order_id = submit(cluster, drill)
    base = cluster.http_url()
    lead = bearer(login(cluster, OFFICE_LEAD))
    listed = requests.get(base + "/v1/staff/orders", params={"page.pageSize": "100"}, headers=lead, timeout=T)
    assert listed.status_code == 200, listed.text
    assert order_id in {o["id"] for o in listed.json().get("orders", [])}
    got = requests.get(base + f"/v1/staff/orders/{order_id}", headers=lead, timeout=T)
    assert got.status_code == 200 and got.json()["order"]["state"] == "ORDER_STATE_RECEIVED"

    # An intermediary (not on the order) does not see it: orders answers NOT_FOUND, as for a missing id.
    other = bearer(login(cluster, "13900000008"))
    missing_id = "00000000-0000-0000-0000-000000000000"
    hidden = requests.get(base + f"/v1/staff/orders/{order_id}", headers=other, timeout=T)
    missing = requests.get(base + f"/v1/staff/orders/{missing_id}", headers=other, timeout=T)
    assert hidden.status_code == missing.status_code == 404
    assert hidden.json() == json.loads(missing.text.replace(missing_id, order_id))


def test_a_refused_action_answers_the_services_status_as_json(cluster, drill):
    order_id = submit(cluster, drill)
    base = cluster.http_url()
    # The dealer is not the order's lead: orders refuses, and the page would show its message.
    dealer_token = login(cluster, DEALER)
    refused = requests.post(base + f"/v1/staff/orders/{order_id}/acknowledge", json={}, headers=bearer(dealer_token), timeout=T)
    assert 400 <= refused.status_code < 500, refused.text
    status = refused.json()
    assert set(status) >= {"code", "message"} and status["message"]
    stub = cluster.stubs.orders_grpc.OrderServiceStub(cluster.gateway_channel())
    with pytest.raises(grpc.RpcError) as over_grpc:
        stub.Acknowledge(cluster.stubs.orders.AcknowledgeRequest(order_id=order_id),
                         metadata=[("authorization", "Bearer " + dealer_token)], timeout=T)
    assert status["code"] == over_grpc.value.code().value[0]
    assert status["message"] == over_grpc.value.details()

    # The lead acknowledges; a second acknowledgement is a state conflict (FAILED_PRECONDITION, 400).
    lead = bearer(login(cluster, OFFICE_LEAD))
    done = requests.post(base + f"/v1/staff/orders/{order_id}/acknowledge", json={}, headers=lead, timeout=T)
    assert done.status_code == 200 and done.json()["order"]["state"] == "ORDER_STATE_ACKNOWLEDGED"
    again = requests.post(base + f"/v1/staff/orders/{order_id}/acknowledge", json={}, headers=lead, timeout=T)
    assert again.status_code == 400 and again.json()["code"] == grpc.StatusCode.FAILED_PRECONDITION.value[0]


def test_the_lead_picks_from_the_assignee_list_and_assigns(cluster, drill):
    order_id = submit(cluster, drill)
    base = cluster.http_url()
    lead = bearer(login(cluster, OFFICE_LEAD))
    listed = requests.get(base + "/v1/staff/assignees", params={"districtId": "cq-o1-d3"}, headers=lead, timeout=T)
    assert listed.status_code == 200, listed.text
    people = listed.json()["assignees"]
    roles = {p["role"] for p in people}
    assert roles == {"ACCOUNT_ROLE_DISTRICT_ORDER_LEAD", "ACCOUNT_ROLE_DEALER"}
    # District leads first; names and roles, never phones.
    assert people[0]["role"] == "ACCOUNT_ROLE_DISTRICT_ORDER_LEAD"
    assert all(set(p) <= {"accountId", "name", "role", "nodePath"} for p in people)
    none = requests.get(base + "/v1/staff/assignees", params={"districtId": "no-such-district"}, headers=lead, timeout=T)
    assert none.status_code == 200 and none.json().get("assignees", []) == []
    bad = requests.get(base + "/v1/staff/assignees", params={"districtId": "50%_off"}, headers=lead, timeout=T)
    assert bad.status_code == 400

    dealer = next(p for p in people if p["role"] == "ACCOUNT_ROLE_DEALER")
    assert requests.post(base + f"/v1/staff/orders/{order_id}/acknowledge", json={}, headers=lead, timeout=T).status_code == 200
    assigned = requests.post(base + f"/v1/staff/orders/{order_id}/assign", headers=lead, timeout=T,
                             json={"assigneeAccountId": dealer["accountId"], "assigneeKind": "ASSIGNEE_KIND_DEALER"})
    assert assigned.status_code == 200, assigned.text
    assert assigned.json()["order"]["assigneeAccountId"] == dealer["accountId"]

    # Only people at or below the caller's own node: a dealer of another region never shows.
    pb, admin = cluster.stubs, cluster.admin()
    slug = "sh" + uuid.uuid4().hex[:6]
    pb_org = pb.gateway_grpc.OrgServiceStub(cluster.gateway_channel())
    pb_org.CreateNode(pb.gateway.CreateNodeRequest(parent_path="/hq", slug=slug, name="别的片区", kind=pb.gateway.NODE_KIND_REGION),
                      metadata=admin, timeout=T)
    outsider = pb.gateway_grpc.AccountServiceStub(cluster.gateway_channel()).CreateAccount(pb.gateway.CreateAccountRequest(
        name="别的经销商", phone="136" + str(uuid.uuid4().int)[:8], role=pb.gateway.ACCOUNT_ROLE_DEALER, node_path="/hq/" + slug,
        initial_password=DRILL_PASSWORD), metadata=admin, timeout=T)
    everyone = requests.get(base + "/v1/staff/assignees", headers=lead, timeout=T).json()["assignees"]
    assert everyone and all(p["nodePath"].startswith("/hq/cq/cq-o1/") for p in everyone)
    assert outsider.id not in {p["accountId"] for p in everyone}

    # A salesperson has no assignee list (the access policy), a 403 with the status.
    seller = requests.get(base + "/v1/staff/assignees", headers=bearer(login(cluster, SALESPERSON)), timeout=T)
    assert seller.status_code == 403 and seller.json()["code"] == grpc.StatusCode.PERMISSION_DENIED.value[0]


# -- the board's stream ------------------------------------------------------------------------

def sse_events(response):
    """The events of a server-sent-event response, as they come: (event name, data)."""
    name, data = "message", []
    for raw in response.iter_lines(chunk_size=1, decode_unicode=True):
        if raw == "":
            if data:
                yield name, json.loads("\n".join(data))
            name, data = "message", []
        elif raw.startswith(":"):
            continue
        elif raw.startswith("event:"):
            name = raw[6:].strip()
        elif raw.startswith("data:"):
            data.append(raw[5:].lstrip())


def test_the_board_streams_as_server_sent_events_with_a_snapshot_first(cluster, drill):
    base = cluster.http_url()
    cs = bearer(login(cluster, CS))
    with requests.get(base + "/v1/staff/board/watch", headers={**cs, "Accept": "text/event-stream"}, stream=True,
                      timeout=T) as stream:
        assert stream.status_code == 200
        assert stream.headers["content-type"].startswith("text/event-stream")
        assert stream.headers["cache-control"] == "no-store" or "no-cache" in stream.headers["cache-control"]
        events = sse_events(stream)
        name, first = next(events)
        if name == "error" and first.get("code") == grpc.StatusCode.UNIMPLEMENTED.value[0]:
            pytest.skip("orders answers WatchBoard UNIMPLEMENTED (board feed not merged yet): " + first["message"])
        assert name == "message" and first["snapshot"] is True and int(first["serverTimeMs"]) > 0
        order_id = submit(cluster, drill)
        # The next change carries the new order, in the waiting lane.
        for _ in range(20):
            name, change = next(events)
            assert name == "message", change
            rows = [r for r in change.get("rows", []) if r["orderId"] == order_id]
            if rows:
                assert rows[0]["lane"] == "BOARD_LANE_WAITING" and int(rows[0]["deadlineAtMs"]) > 0
                break
        else:
            pytest.fail("the new order never reached the stream")
    without = requests.get(base + "/v1/staff/board/watch", timeout=T)
    assert without.status_code == 401


def test_the_leads_own_board_from_the_query_string(cluster, drill):
    order_id = submit(cluster, drill)
    base = cluster.http_url()
    lead = bearer(login(cluster, OFFICE_LEAD))
    mine = requests.get(base + "/v1/staff/board", params={"mineOnly": "true"}, headers=lead, timeout=T)
    assert mine.status_code == 200, mine.text
    rows = {r["orderId"]: r for r in mine.json().get("rows", [])}
    assert rows[order_id]["actionableByCaller"] is True and rows[order_id]["lane"] == "BOARD_LANE_WAITING"
    # The dealer has nothing waiting for them in this order yet.
    dealer = requests.get(base + "/v1/staff/board", params={"mineOnly": "true"}, headers=bearer(login(cluster, DEALER)), timeout=T)
    assert dealer.status_code == 200 and order_id not in {r["orderId"] for r in dealer.json().get("rows", [])}
    bad = requests.get(base + "/v1/staff/board", params={"mineOnly": "maybe"}, headers=lead, timeout=T)
    assert bad.status_code == 400 and "mineOnly" in bad.json()["message"]


# -- the pages -----------------------------------------------------------------------------------

def test_pages_are_served_with_security_and_cache_headers(cluster):
    base = cluster.http_url()
    root = requests.get(base + "/", allow_redirects=False, timeout=T)
    assert root.status_code == 302 and root.headers["location"] == "/app/"
    page = requests.get(base + "/app/", timeout=T)
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "<html lang=\"zh-CN\">" in page.text and "登录" in page.text
    csp = page.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp and "unsafe-inline" not in csp
    assert page.headers["x-content-type-options"] == "nosniff"
    # No inline script in any page (the policy would block it anyway): scripts come from /app/.
    for name in ("index.html", "board.html", "lead.html"):
        html = requests.get(base + "/app/" + name, timeout=T).text
        assert not re.search(r"<script(?![^>]*\bsrc=)", html), name
        assert not re.search(r"\son[a-z]+=", html), name
    etag = page.headers["etag"]
    again = requests.get(base + "/app/", headers={"If-None-Match": etag}, timeout=T)
    assert again.status_code == 304 and again.content == b""
    script = requests.get(base + "/app/app.js", timeout=T)
    assert script.headers["content-type"].startswith("text/javascript") and script.headers["etag"] != etag
    assert requests.get(base + "/app/nothing.js", timeout=T).status_code == 404
