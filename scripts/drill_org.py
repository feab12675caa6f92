"""The drill's organisation beyond `xsc seed-drill` (the source's "确定系统角色": how many
teams and their order leads, the team admins' accounts handed out, the members' accounts made):
a second team under the drill district, its team admin made by hq_admin, and the team's
members made by that team admin with its own session, as the source has it. Idempotent: what
exists is left alone (ALREADY_EXISTS), so the drill runs again and again on one system."""
from __future__ import annotations

from dataclasses import dataclass

import grpc

DISTRICT_PATH = "/hq/cq/cq-o1/cq-o1-d3"
TEAM_SLUG, TEAM_NAME = "t8", "第八团购小组"
TEAM_PATH = f"{DISTRICT_PATH}/{TEAM_SLUG}"
CALL_S = 30.0


@dataclass(frozen=True)
class Person:
    phone: str
    name: str
    role: str  # AccountRole name without its prefix


TEAM_ADMIN = Person("13900000016", "团队管理员 孙", "TEAM_ADMIN")
SALESPERSON = Person("13900000017", "业务员 周", "SALESPERSON")
COLLEAGUE = Person("13900000019", "业务员 郑", "SALESPERSON")
INTERMEDIARY = Person("13900000018", "中间人 吴", "INTERMEDIARY")
MEMBERS = (SALESPERSON, COLLEAGUE, INTERMEDIARY)
# Made by `xsc seed-drill` (Sources/XscCLI/SeedDrillCommand.swift).
REGIONAL_MANAGER = Person("13900000001", "片区经理 王", "REGIONAL_MANAGER")
DEALER = Person("13900000005", "经销商 陈", "DEALER")


def create_if_missing(call) -> bool:
    """True when made now, False when it was there already."""
    try:
        call()
        return True
    except grpc.RpcError as error:
        if error.code() != grpc.StatusCode.ALREADY_EXISTS:
            raise
        return False


def set_up_team(drill) -> None:
    """hq_admin: the team node and its admin; the team admin: its members."""
    pb = drill.pb.gateway
    drill.step(f"hq_admin sets up team {TEAM_NAME} ({TEAM_PATH}) and hands out its team admin's account")
    org = drill.pb.gateway_grpc.OrgServiceStub(drill.channel)
    accounts = drill.pb.gateway_grpc.AccountServiceStub(drill.channel)
    made = create_if_missing(lambda: org.CreateNode(pb.CreateNodeRequest(
        parent_path=DISTRICT_PATH, slug=TEAM_SLUG, name=TEAM_NAME, kind=pb.NODE_KIND_TEAM), metadata=drill.admin, timeout=CALL_S))
    drill.say(f"team {TEAM_PATH}: {'created' if made else 'there already'}; its orders are led by the district's "
              "order leads (xsc seed-drill's routing)")
    made = create_if_missing(lambda: accounts.CreateAccount(pb.CreateAccountRequest(
        phone=TEAM_ADMIN.phone, name=TEAM_ADMIN.name, role=pb.AccountRole.Value("ACCOUNT_ROLE_" + TEAM_ADMIN.role),
        node_path=TEAM_PATH, initial_password=drill.args.member_password), metadata=drill.admin, timeout=CALL_S))
    drill.say(f"team admin {TEAM_ADMIN.name} ({TEAM_ADMIN.phone}): "
              f"{'account made by hq_admin' if made else 'there already, password unchanged'}")

    drill.step(f"the team admin ({TEAM_ADMIN.phone}) logs in and makes the team's member accounts")
    team_admin, _ = session_of(drill, TEAM_ADMIN)
    for person in MEMBERS:
        made = create_if_missing(lambda: accounts.CreateAccount(pb.CreateAccountRequest(
            phone=person.phone, name=person.name, role=pb.AccountRole.Value("ACCOUNT_ROLE_" + person.role),
            node_path=TEAM_PATH, initial_password=drill.args.member_password), metadata=team_admin, timeout=CALL_S))
        drill.say(f"{person.role.lower()} {person.name} ({person.phone}): "
                  f"{'made by the team admin' if made else 'there already, password unchanged'}")


def session_of(drill, person: Person):
    """The person's session (logged in once per run) and account."""
    if person.phone not in drill.sessions_by_phone:
        session, account = drill.login(person.phone, drill.args.member_password)
        drill.sessions_by_phone[person.phone] = session
        drill.accounts_by_phone[person.phone] = account
    return drill.sessions_by_phone[person.phone], drill.accounts_by_phone.get(person.phone)
