"""`xsc` for people (issue 18) against a real system: every service as a real process on a fresh
PostgreSQL (cluster_support), the organisation of orders_world plus a salesperson on team t7,
one on team t9 and the region's manager. Each person has a config folder of their own (their
session file); `xsc` goes through the gateway only, with that person's session.

Tables are read through a pseudo-terminal (pexpect, in pty_session.py), the way a person sees them; `--json` output
is parsed with json.loads. Refusals are checked for their exit status and their sentence: another
team's customer and another region's order answer "not found", an order in the wrong state is
"refused", a bad phone lists the field. Effects are checked in the services' own databases.

Needs DATABASE_URL (a superuser URL; `make test` provides one). Waits are polls under one
liveness bound, never timing assertions."""
from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import unicodedata
import uuid
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

import orders_world
import wire_support
from cluster_support import Cluster, eventually
from orders_world import World

T = 30
EXTRA_PEOPLE = {  # name -> (role, node, display name)
    "sales7": ("SALESPERSON", "/hq/cq/cq-o1/cq-o1-d3/t7", "业务员 赵"),
    "sales9": ("SALESPERSON", "/hq/cq/cq-o1/cq-o1-d4/t9", "业务员 伊"),
    "cq_manager": ("REGIONAL_MANAGER", "/hq/cq", "重庆片区经理"),
}


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    with Cluster.started(tmp_path_factory.mktemp("cli-people"),
                         services=("gateway", "orders", "customers", "proposals", "notifications", "settlements")) as running:
        yield running
        running.assert_all_running()


@pytest.fixture(scope="module")
def world(cluster):
    built = World(cluster).build()
    gw = cluster.stubs.gateway
    for name, (role, node, display) in EXTRA_PEOPLE.items():
        phone = "1350000%04d" % (len(built.people) + 1)
        account = built.accounts.CreateAccount(gw.CreateAccountRequest(
            name=display, phone=phone, role=gw.AccountRole.Value("ACCOUNT_ROLE_" + role), node_path=node,
            initial_password=orders_world.PASSWORD), metadata=built.admin, timeout=T)
        built.people[name] = orders_world.Person(name, account.id, phone, cluster.login(phone, orders_world.PASSWORD))
    ids = [person.id for person in built.people.values()]
    for service in ("customers", "proposals", "settlements"):
        eventually(f"the directory feed reached {service}", lambda service=service: len(cluster.query(
            service, "SELECT 1 FROM xsc_directory WHERE account_id = ANY(string_to_array(:'p1', ','))",
            ",".join(ids))) == len(ids))
    return built


class People:
    """Runs `xsc` as one person or another: a config folder (session file) per person."""

    def __init__(self, cluster: Cluster, world: World, root):
        self.cluster, self.world, self.root = cluster, world, root
        self.logged_in: set[str] = set()

    def env(self, name: str) -> dict[str, str]:
        folder = self.root / name
        folder.mkdir(exist_ok=True)
        return {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "XDG_CONFIG_HOME": str(folder),
                "XSC_GATEWAY": self.cluster.address("gateway"), "HOME": str(folder)}

    def login(self, name: str) -> None:
        if name in self.logged_in:
            return
        result = subprocess.run([str(wire_support.binary("xsc")), "login", "--phone", self.world.people[name].phone,
                                 "--password-stdin"], input=orders_world.PASSWORD + "\n", env=self.env(name),
                                capture_output=True, text=True, timeout=T * 2)
        assert result.returncode == 0, result.stdout + result.stderr
        self.logged_in.add(name)

    def run(self, name: str, *args: str) -> subprocess.CompletedProcess:
        self.login(name)
        return subprocess.run([str(wire_support.binary("xsc")), *args], env=self.env(name), capture_output=True,
                              text=True, timeout=T * 2)

    def json(self, name: str, *args: str):
        result = self.run(name, *args, "--json")
        assert result.returncode == 0, result.stdout + result.stderr
        return json.loads(result.stdout)

    def terminal(self, name: str, *args: str, dialogue: list[tuple[str, str]] = (), login: bool = True) -> tuple[int, str]:
        """What the person sees in a terminal (a pseudo-terminal), and the exit status."""
        if login:
            self.login(name)
        return terminal([str(wire_support.binary("xsc")), *args], self.env(name), dialogue)


@pytest.fixture(scope="module")
def people(cluster, world, tmp_path_factory):
    return People(cluster, world, tmp_path_factory.mktemp("homes"))


def terminal(argv: list[str], env: dict[str, str], dialogue=()) -> tuple[int, str]:
    """Runs argv in a pseudo-terminal (pty_session.py, a process without grpcio); the exit
    status and the screen."""
    spec = {"argv": argv, "env": env, "dialogue": [list(pair) for pair in dialogue], "timeout": T * 2}
    done = subprocess.run([sys.executable, str(Path(__file__).with_name("pty_session.py")), json.dumps(spec)],
                          capture_output=True, text=True, timeout=T * 4)
    assert done.returncode == 0, done.stdout + done.stderr
    answer = json.loads(done.stdout)
    return answer["status"], answer["screen"]


def width(text: str) -> int:
    """Terminal columns of text: East Asian wide and fullwidth characters take two."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def column_starts(line: str, cells: list[str]) -> list[int]:
    """The display column where each of `cells` starts in `line` (searched left to right)."""
    starts, position = [], 0
    for cell in cells:
        index = line.index(cell, position)
        starts.append(width(line[:index]))
        position = index + len(cell)
    return starts


def mall_order(world: World):
    return world.submit("tmall", world.order_request("mall", "cq-o1-d3", external_id="cli-" + uuid.uuid4().hex[:8]))


# -- session ---------------------------------------------------------------------------------

def test_login_at_a_terminal_keeps_a_private_session_and_whoami_tells_who(cluster, world, people):
    lead = world.people["cq_lead"]
    env = people.env("terminal_lead")
    status, said = terminal([str(wire_support.binary("xsc")), "login"], env,
                            [("Phone: ", lead.phone), ("Password: ", orders_world.PASSWORD)])
    assert status == 0, said
    assert orders_world.PASSWORD not in said, "the password is never echoed"
    assert f"logged in as cq_lead ({lead.phone}), office_order_lead at /hq/cq/cq-o1" in said
    session = people.root / "terminal_lead" / "xsc" / "session"
    assert stat.S_IMODE(session.stat().st_mode) == 0o600
    assert stat.S_IMODE(session.parent.stat().st_mode) == 0o700
    saved = json.loads(session.read_text())
    assert saved["accountID"] == lead.id and saved["gateway"] == cluster.address("gateway")

    status, screen = terminal([str(wire_support.binary("xsc")), "whoami"], env)
    assert status == 0, screen
    lines = dict(line.split(":", 1) for line in screen.splitlines() if ":" in line)
    assert lines["name"].strip() == "cq_lead" and lines["role"].strip() == "office_order_lead"

    # Logged out, the session is gone at the gateway too: the saved token no longer works.
    token = saved["token"]
    out = subprocess.run([str(wire_support.binary("xsc")), "logout"], env=env, capture_output=True, text=True, timeout=T)
    assert out.returncode == 0 and not session.exists(), out.stderr
    session.write_text(json.dumps(saved))
    os.chmod(session, 0o600)
    ended = subprocess.run([str(wire_support.binary("xsc")), "whoami"], env=env, capture_output=True, text=True, timeout=T)
    assert ended.returncode == 3, ended.stdout + ended.stderr
    assert "run `xsc login` again" in ended.stderr and token not in ended.stderr


def test_a_wrong_password_and_no_session_say_what_to_do(cluster, world, people):
    env = people.env("nobody")
    wrong = subprocess.run([str(wire_support.binary("xsc")), "login", "--phone", world.people["cq_lead"].phone,
                            "--password-stdin"], input="not-the-password\n", env=env, capture_output=True, text=True, timeout=T)
    assert wrong.returncode == 3, wrong.stdout + wrong.stderr
    assert "check the phone and the password" in wrong.stderr
    missing = subprocess.run([str(wire_support.binary("xsc")), "orders", "list"], env=env, capture_output=True, text=True,
                             timeout=T)
    assert missing.returncode == 3 and "run `xsc login`" in missing.stderr, missing.stderr
    as_json = subprocess.run([str(wire_support.binary("xsc")), "orders", "list", "--json"], env=env, capture_output=True,
                             text=True, timeout=T)
    assert as_json.returncode == 3
    error = json.loads(as_json.stdout)
    assert error["code"] == "UNAUTHENTICATED" and error["exit_status"] == 3 and "xsc login" in error["what_next"]
    # A gateway that does not answer: exit 7, naming the address and what to check.
    closed = f"127.0.0.1:{wire_support.free_port()}"
    people.login("cq_lead")
    down = subprocess.run([str(wire_support.binary("xsc")), "whoami", "--gateway", closed], env=people.env("cq_lead"),
                          capture_output=True, text=True, timeout=T)
    assert down.returncode == 7, down.stdout + down.stderr
    assert f"cannot be reached at {closed}" in down.stderr and "make status" in down.stderr


# -- orders ----------------------------------------------------------------------------------

def test_an_order_from_acknowledgement_to_return_visit(cluster, world, people):
    order = mall_order(world)
    # The lead's list in a terminal: the order waits for its acknowledgement; columns line up
    # although the customer's name is Chinese (two columns per character).
    status, screen = people.terminal("cq_lead", "orders", "list")
    assert status == 0, screen
    lines = screen.splitlines()
    header = next(line for line in lines if line.startswith("CODE"))
    row = next(line for line in lines if line.startswith(order.code))
    assert "acknowledge" in row and "张三" in row
    heads = column_starts(header, ["CODE", "STATE", "NEXT FOR YOU", "CUSTOMER", "TOTAL", "DISTRICT", "CREATED", "ID"])
    cells = column_starts(row, [order.code, "received", "acknowledge", "张三", "¥", "cq-o1-d3", "20", order.id])
    assert heads == cells, f"columns out of line:\n{header}\n{row}"

    listed = people.json("cq_lead", "orders", "list")
    mine = next(o for o in listed["orders"] if o["id"] == order.id)
    assert (mine["state"], mine["next_step"], mine["code"], mine["total_fen"]) == ("received", "acknowledge", order.code, order.total_fen)
    assert mine["customer"]["name"] == "张三" and mine["lines"][0]["sku_id"] == "bj-500"

    # Another region's lead and the dealer do not see it: not found, worded for a person.
    other = people.run("sc_lead", "orders", "ack", order.id)
    assert other.returncode == 4, other.stdout + other.stderr
    assert "not found, or not yours to see" in other.stderr and "xsc orders list --all" in other.stderr
    refused = people.run("cq_dealer", "orders", "ack", order.code)
    assert refused.returncode == 4 and f"no order {order.code} among the orders you can see" in refused.stderr, refused.stderr

    acked = people.json("cq_lead", "orders", "ack", order.code)
    assert (acked["state"], acked["next_step"], acked["acknowledged_by"]) == ("acknowledged", "assign", world.id("cq_lead"))
    assigned = people.run("cq_lead", "orders", "assign", order.code, "--to", world.id("cq_dealer"))
    assert assigned.returncode == 0 and "now assigned" in assigned.stdout, assigned.stdout + assigned.stderr
    waiting = people.json("cq_dealer", "orders", "list")
    assert [o["next_step"] for o in waiting["orders"] if o["id"] == order.id] == ["accept"]
    assert people.json("cq_dealer", "orders", "accept", order.code)["state"] == "accepted"
    # Accepting twice is a state conflict: refused, with where to look.
    again = people.run("cq_dealer", "orders", "accept", order.code, "--json")
    assert again.returncode == 5, again.stdout + again.stderr
    error = json.loads(again.stdout)
    assert error["code"] == "FAILED_PRECONDITION" and error["message"]
    assert "refused: not possible in its current state" in again.stderr and f"xsc orders show {order.code}" in again.stderr
    assert people.json("cq_dealer", "orders", "deliver", order.code)["next_step"] is None

    visited = people.json("cq_lead", "orders", "visit", order.code, "--sold", "bj-500=2", "--sold", "bj-250=1",
                          "--score", "5", "--comment", "顾客满意")
    assert visited["state"] == "visited" and visited["evaluation_text"] == "顾客满意"
    assert [(line["sku_id"], line["actual_quantity"]) for line in visited["lines"]] == [("bj-500", 2), ("bj-250", 1)]
    assert cluster.query("orders", "SELECT state, evaluation_score FROM orders WHERE id = :'p1'", order.id) == [["visited", "5"]]

    status, screen = people.terminal("cq_lead", "orders", "show", order.code)
    assert status == 0, screen
    assert "visited" in screen and "顾客满意" in screen
    for kind in ("submitted", "acknowledged", "assigned", "accepted", "delivered", "visited"):
        assert f" {kind} " in screen, screen


def test_an_order_forwarded_through_the_district_lead(world, people):
    order = mall_order(world)
    people.json("cq_lead", "orders", "ack", order.code)
    forwarded = people.json("cq_lead", "orders", "forward", order.code, "--to", world.id("cq_dlead"), "--district-lead")
    assert (forwarded["state"], forwarded["assignee_kind"], forwarded["next_step"]) == ("assigned", "district_lead", None)
    waiting = people.json("cq_dlead", "orders", "list")
    assert [o["next_step"] for o in waiting["orders"] if o["id"] == order.id] == ["acknowledge"]
    assert people.json("cq_dlead", "orders", "ack", order.code)["next_step"] == "assign"
    assigned = people.json("cq_dlead", "orders", "assign", order.code, "--to", world.id("cq_dealer"))
    assert (assigned["assignee_account_id"], assigned["assignee_kind"]) == (world.id("cq_dealer"), "dealer")


def test_the_return_visit_needs_what_was_sold(world, people):
    order = mall_order(world)
    result = people.run("cq_lead", "orders", "visit", order.code, "--score", "5")
    assert result.returncode == 2 and "--sold SKU=N" in result.stderr, result.stderr


# -- customers -------------------------------------------------------------------------------

def test_customers_and_follow_ups(cluster, world, people):
    phone = "1390000%04d" % (uuid.uuid4().int % 10000)
    made = people.json("sales7", "customers", "create", "--name", "周先生", "--phone", phone, "--address", "重庆市渝中区解放碑 1 号",
                       "--district", "cq-o1-d3", "--kind", "gift", "--grade", "A", "--tag", "中秋")
    customer = made["customer"]
    assert made["existing"] is False and customer["phones"] == [phone] and customer["grade"] == "A"
    assert customer["owner_account_id"] == world.id("sales7") and customer["team_path"] == "/hq/cq/cq-o1/cq-o1-d3/t7"

    added = people.json("sales7", "customers", "follow-up", "add", customer["id"], "--channel", "phone",
                        "--content", "约好周五送样酒", "--outcome", "interested", "--next", "+2d")
    assert added["follow_up"]["content"] == "约好周五送样酒" and added["follow_up"]["next_follow_up_at_ms"] > 0
    listed = people.json("sales7", "customers", "follow-up", "list", customer["id"])
    assert [f["id"] for f in listed["follow_ups"]] == [added["follow_up"]["id"]]
    assert cluster.query("customers", "SELECT content FROM follow_ups WHERE customer_id = :'p1'", customer["id"]) == [["约好周五送样酒"]]
    # A colleague asked to follow up too finds it on their list and marks it done.
    asked = people.json("sales7", "customers", "follow-up", "add", customer["id"], "--channel", "visit", "--content", "上门拜访",
                        "--outcome", "call_back", "--ask", world.id("cq_team_admin"))
    assert asked["follow_up"]["asked_account_ids"] == [world.id("cq_team_admin")] and len(asked["task_ids"]) == 1
    tasks = people.json("cq_team_admin", "customers", "tasks")["tasks"]
    assert [(t["customer_name"], t["state"]) for t in tasks] == [("周先生", "open")]
    assert people.json("cq_team_admin", "customers", "tasks", "--done", tasks[0]["id"])["state"] == "done"
    assert people.json("cq_team_admin", "customers", "tasks")["tasks"] == []

    status, screen = people.terminal("sales7", "customers", "list", "--phone", phone)
    assert status == 0, screen
    header = next(line for line in screen.splitlines() if line.startswith("NAME"))
    row = next(line for line in screen.splitlines() if line.startswith("周先生"))
    assert column_starts(header, ["NAME", "PHONE", "GRADE"]) == column_starts(row, ["周先生", phone, "A"]), f"\n{header}\n{row}"
    status, screen = people.terminal("sales7", "customers", "show", customer["id"])
    assert status == 0 and "约好周五送样酒" in screen and "interested" in screen, screen

    # Another team's salesperson: not found, exactly as for an id that does not exist.
    hidden = people.run("sales9", "customers", "show", customer["id"])
    missing = people.run("sales9", "customers", "show", str(uuid.uuid4()))
    assert hidden.returncode == missing.returncode == 4, hidden.stderr
    assert "not found, or not yours to see" in hidden.stderr and "xsc customers list" in hidden.stderr
    assert hidden.stderr.replace(customer["id"], "ID") == missing.stderr.replace(missing.args[-1], "ID")
    # The same phone registered by someone else: refused, naming nothing of the owner's record.
    taken = people.run("sales9", "customers", "create", "--name", "周先生", "--phone", phone, "--address", "重庆市渝中区",
                       "--district", "cq-o1-d4")
    assert taken.returncode == 5 and "refused: it exists already" in taken.stderr, taken.stderr
    assert "sales7" not in taken.stderr and "业务员 赵" not in taken.stderr
    # Bad input: every refused field listed, exit 6.
    bad = people.run("sales7", "customers", "create", "--name", "李", "--phone", "12345", "--json")
    assert bad.returncode == 6, bad.stdout + bad.stderr
    fields = [f["field"] for f in json.loads(bad.stdout)["fields"]]
    assert any("phones" in f for f in fields), fields
    assert "the input was refused" in bad.stderr and "phones" in bad.stderr


# -- notices and proposals -------------------------------------------------------------------

def test_a_notice_its_question_and_the_answer(cluster, world, people):
    notice = people.json("sales7", "notices", "publish", "--title", "本周团购安排", "--body", "周五前各自报名")
    assert notice["team_path"] == "/hq/cq/cq-o1/cq-o1-d3/t7"
    status, screen = people.terminal("referrer", "notices", "list")
    assert status == 0 and "本周团购安排" in screen and "unread" in screen, screen
    asked = people.json("referrer", "notices", "ask", notice["id"], "几点集合?")
    answered = people.json("sales7", "notices", "answer", asked["id"], "上午九点")
    assert answered["answer"] == "上午九点" and answered["answered_by"] == world.id("sales7")
    shown = people.json("referrer", "notices", "show", notice["id"])
    assert [(q["text"], q["answer"]) for q in shown["questions"]] == [("几点集合?", "上午九点")]
    assert shown["notice"]["read_at_ms"] > 0
    assert cluster.query("proposals", "SELECT answer FROM notice_questions WHERE id = :'p1'", asked["id"]) == [["上午九点"]]
    hidden = people.run("sales9", "notices", "show", notice["id"])
    assert hidden.returncode == 4 and "xsc notices list" in hidden.stderr, hidden.stderr


def test_a_proposal_submitted_decided_and_reported(cluster, world, people):
    submitted = people.json("sales7", "proposals", "submit", "--title", "中秋团购推广", "--purpose", "提高团购销量",
                            "--content", "在三个小区开团", "--resources", "样酒 6 瓶", "--participant", world.id("referrer"),
                            "--start", "+1h", "--checkpoint", "+2d", "--finish", "+7d")
    assert submitted["state"] == "submitted" and submitted["decider_account_ids"]
    status, screen = people.terminal("sales7", "proposals", "list")
    assert status == 0 and "中秋团购推广" in screen and "submitted" in screen, screen
    decider = next(name for name, person in world.people.items() if person.id == submitted["decider_account_ids"][0])
    # Only a participant reports, and not before the decision: refused with a sentence.
    early = people.run("referrer", "proposals", "report", submitted["id"], "--result", "已联系")
    assert early.returncode == 5, early.stdout + early.stderr
    decided = people.json(decider, "proposals", "decide", submitted["id"], "--execute", "--comment", "同意")
    assert (decided["state"], decided["decision"]) == ("executing", "execute")
    reported = people.json("referrer", "proposals", "report", submitted["id"], "--result", "已联系三个小区")
    reports = reported["checkpoints"][0]["reports"]
    assert [(r["account_id"], r["result"]) for r in reports] == [(world.id("referrer"), "已联系三个小区")]
    both = people.run(decider, "proposals", "decide", submitted["id"], "--execute", "--terminate", "--comment", "x")
    assert both.returncode == 2 and "--execute or --terminate" in both.stderr


def test_a_proposal_analysed_and_evaluated_after_its_finish(cluster, world, people):
    """Seconds apart (typed as +Ns), so the finish passes within the test: the proposals service's
    timer moves it to reviewing; then the proposer analyses and the participant evaluates."""
    submitted = people.json("sales7", "proposals", "submit", "--title", "小区试饮会", "--purpose", "试饮", "--content", "周末试饮",
                            "--resources", "样酒 2 瓶", "--participant", world.id("referrer"),
                            "--start", "+20s", "--checkpoint", "+25s", "--finish", "+35s")
    decider = next(name for name, person in world.people.items() if person.id == submitted["decider_account_ids"][0])
    people.json(decider, "proposals", "decide", submitted["id"], "--execute", "--comment", "可以")
    early = people.run("sales7", "proposals", "analyse", submitted["id"], "--text", "太早")
    assert early.returncode == 5 and "xsc proposals show ID" in early.stderr, early.stderr
    eventually("the proposal is past its finish and in review", lambda: people.json(
        "sales7", "proposals", "show", submitted["id"])["state"] == "reviewing", timeout_s=120, interval_s=1)
    people.json("sales7", "proposals", "analyse", submitted["id"], "--text", "到场二十人, 订出六箱")
    done = people.json("referrer", "proposals", "evaluate", submitted["id"], "--score", "4", "--text", "效果不错")
    assert done["state"] == "closed" and done["analysis"] == "到场二十人, 订出六箱"
    assert [(e["account_id"], e["score"], e["text"]) for e in done["evaluations"]] == [(world.id("referrer"), 4, "效果不错")]
    assert cluster.query("proposals", "SELECT state FROM proposals WHERE id = :'p1'", submitted["id"]) == [["closed"]]


# -- statements and violations ---------------------------------------------------------------

def test_a_statement_shown_signed_paid_and_downloaded(cluster, world, people, tmp_path):
    pb = cluster.stubs.settlements
    s = cluster.stubs.settlements_grpc.SettlementServiceStub(cluster.gateway_channel())
    key = [("idempotency-key", uuid.uuid4().hex)]
    s.SetRewardRule(pb.SetRewardRuleRequest(region_id="cq", percent_basis_points=300), metadata=world.who("cq_manager") + key,
                    timeout=T)
    order = world.submit("alliance-site", world.order_request("alliance", "cq-o1-d3", external_id="cli-st-" + uuid.uuid4().hex[:6],
                                                             referrer=world.id("referrer")))
    world.to_delivered(order.id)
    world.visit(order.id, "cq_lead", {"bj-500": 3, "bj-250": 1})
    earnings = cluster.stubs.settlements.GetMyEarningsRequest()
    eventually("the referrer's reward accrued", lambda: any(
        line.line.order_code == order.code for line in s.GetMyEarnings(earnings, metadata=world.who("referrer"), timeout=T).lines))
    week = "%d-W%02d" % datetime.now(ZoneInfo("Asia/Shanghai")).isocalendar()[:2]
    s.CloseWeek(pb.CloseWeekRequest(week=week, before_end=True), metadata=world.who("cq_manager"), timeout=T)

    listed = people.json("cq_manager", "statements", "list", "--week", week, "--payee", world.id("referrer"))
    assert len(listed["statements"]) == 1
    statement = listed["statements"][0]
    assert statement["state"] == "draft" and statement["total_fen"] > 0
    status, screen = people.terminal("cq_manager", "statements", "show", statement["statement_id"])
    assert status == 0 and order.code in screen and "draft" in screen, screen

    # The office lead may not sign: refused, and why.
    refused = people.run("cq_lead", "statements", "sign", statement["statement_id"])
    assert refused.returncode == 5 and "refused" in refused.stderr, refused.stderr
    signed = people.json("cq_manager", "statements", "sign", statement["statement_id"])
    assert signed["state"] == "signed" and signed["signed_by_account_id"] == world.id("cq_manager")
    due = people.json("cq_dealer", "statements", "due")
    assert due["due_fen"] >= signed["payable_fen"] and statement["statement_id"] in [st["statement_id"] for st in due["statements"]]
    paid = people.json("cq_dealer", "statements", "pay", statement["statement_id"], "--reference", "工行转账 0001")
    assert paid["state"] == "paid" and paid["payment_reference"] == "工行转账 0001"
    assert cluster.query("settlements", "SELECT state, payment_reference FROM statements WHERE id = :'p1'",
                         statement["statement_id"]) == [["paid", "工行转账 0001"]]

    earned = people.json("referrer", "statements", "earnings")
    assert earned["paid_fen"] == paid["total_fen"] and earned["pending_fen"] == 0
    assert [(line["order_code"], line["state"]) for line in earned["lines"]] == [(order.code, "paid")]
    target = tmp_path / "statement.pdf"
    pdf = people.json("cq_lead", "statements", "download", statement["statement_id"], "-o", str(target))
    assert pdf["file"] == str(target) and pdf["content_type"] == "application/pdf"
    assert target.read_bytes().startswith(b"%PDF-") and target.stat().st_size == pdf["bytes"]


def test_violations_list_for_oneself_and_the_team(world, people):
    mine = people.json("cq_lead", "violations", "list")
    assert isinstance(mine["violations"], list)
    assert all(v["person_account_id"] == world.id("cq_lead") for v in mine["violations"])
    status, screen = people.terminal("cq_lead", "violations", "list", "--team")
    assert status == 0, screen


# -- the tool itself -------------------------------------------------------------------------

def test_help_groups_the_commands_and_completion_scripts_are_generated():
    helped = wire_support.run_xsc("--help")
    assert helped.returncode == 0
    for word in ("login", "orders", "customers", "proposals", "notices", "statements", "violations", "EXIT STATUS"):
        assert word in helped.stdout, word
    for shell in ("bash", "zsh", "fish"):
        script = wire_support.run_xsc("--generate-completion-script", shell)
        assert script.returncode == 0 and "orders" in script.stdout and "follow-up" in script.stdout, shell
        assert "family_gathering" in script.stdout, f"{shell}: the values of --kind complete"
    nothing = wire_support.run_xsc()
    assert nothing.returncode == 2 and "USAGE" in nothing.stdout
