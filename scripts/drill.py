#!/usr/bin/env python3
"""`make drill`: the whole drill (DOMAIN.md, "The drill"; the source's 演练) against the running
system of `make up`, through the gateway only, the way its people would do it:

  organisation: `xsc seed-drill` (idempotent: region, office, district, team t7, order leads,
     dealer, SKU, prices, district routing); hq_admin makes the drill team t8 and its team
     admin's account, the team admin makes its members' accounts (drill_org.py); the regional
     manager's reward rule;
  part 1: the intermediary's share code; this run's keys (alliance partner drill-alliance, SMS
     provider drill-sms); the alliance site submits an order with the share code; the office
     lead's SMS prompt appears in the development SMS file; the provider reports the lead's reply
     `1`; the lead sees it acknowledged, assigns it to the dealer, who accepts and delivers; the
     lead records the return visit; the order's events and the lead's SLA; the reward accrues,
     the week's statement is generated on demand, signed by the regional manager and paid by the
     dealer (drill_reward.py);
  part 2: a salesperson adds a customer and records two follow-ups, asking a colleague to follow
     up too (drill_customers.py);
  part 3: the team admin publishes a notice in the team, a salesperson opens it and asks, the
     team admin answers, the read list (drill_notice.py).
With --vendor-fake URL (SMS through Alibaba Cloud or Tencent Cloud, faked by
scripts/fake_sms_vendor.py): the drill region's templates are registered with the vendor first,
the prompts are read from the fake, the lead's reply arrives as the vendor's reply callback, and
a second order's prompt is reported undelivered by the vendor: the region's customer service is
prompted at once, and the lead owes nothing for it.

Exit status: 0 the drill went through; 1 a step failed (printed: the step, the gRPC status and
message); 2 it could not start (options, password, binary, another drill running).
Only one drill at a time per state folder (a lock in <var>/run).
"""
from __future__ import annotations

import argparse
import fcntl
import os
import signal
import sys
import tempfile
from pathlib import Path

import grpc

sys.path.insert(0, str(Path(__file__).resolve().parent))
from drill_steps import Drill, StepFailed  # noqa: E402
from drill_support import Stubs, describe  # noqa: E402

REPO = Path(__file__).resolve().parents[1]


class CannotStart(Exception):
    """The drill cannot begin (exit status 2)."""


class Interrupted(Exception):
    """Ctrl-C or SIGTERM: the run stops, its keys are still revoked."""


def interrupt(*_) -> None:
    raise Interrupted()


def parse_options(argv: list[str]) -> argparse.Namespace:
    bind_host = os.environ.get("XSC_BIND_HOST", "127.0.0.1")
    host = "127.0.0.1" if bind_host in ("", "0.0.0.0", "::", "[::]") else bind_host
    state = Path(os.environ.get("XSC_STATE_DIR", REPO / "var"))
    bin_dir = Path(os.environ.get("XSC_BIN_DIR", REPO / ".build" / os.environ.get("XSC_BUILD_CONFIG", "debug")))
    sms_file = Path(os.environ.get("XSC_SMS_DEV_FILE", state / "sms-dev.jsonl"))
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--gateway", default=f"{host}:{os.environ.get('XSC_RPC_PORT_BASE', '7100')}",
                        metavar="HOST:PORT", help="the gateway (default: make up's, %(default)s)")
    parser.add_argument("--var", type=Path, default=state, metavar="DIR",
                        help="make up's state folder: secrets/hq-admin-password, run/ (default %(default)s)")
    # make up gives notifications XSC_SMS_DEV_FILE=<state folder>/sms-dev.jsonl.
    parser.add_argument("--sms-file", type=Path, default=sms_file, metavar="PATH",
                        help="the development SMS provider's file (default %(default)s)")
    parser.add_argument("--vendor-fake", metavar="URL",
                        help="SMS through a vendor (notifications runs with XSC_SMS_PROVIDER=aliyun|tencent) whose fake "
                             "is scripts/fake_sms_vendor.py at URL, instead of the development file; adds the undelivered-"
                             "prompt step")
    parser.add_argument("--timeout", type=float, default=120.0, metavar="SECONDS",
                        help="how long to wait for the SMS, the acknowledgement and xsc seed-drill (default %(default)s)")
    parser.add_argument("--xsc", type=Path, default=bin_dir / "xsc", metavar="PATH",
                        help="the xsc binary (default $XSC_BIN_DIR/xsc or .build/debug/xsc: %(default)s)")
    parser.add_argument("--admin-phone", default=os.environ.get("XSC_ADMIN_PHONE", "13800000000"), metavar="PHONE",
                        help="hq_admin's phone (default $XSC_ADMIN_PHONE or %(default)s)")
    parser.add_argument("--admin-password-file", type=Path, metavar="FILE",
                        help="hq_admin's password (default: $XSC_ADMIN_PASSWORD, else <var>/secrets/hq-admin-password)")
    parser.add_argument("--member-password", default=os.environ.get("XSC_DRILL_PASSWORD", "drill-password-2026"),
                        metavar="PASSWORD",
                        help="the seeded members' password (default $XSC_DRILL_PASSWORD or %(default)s)")
    args = parser.parse_args(argv)
    if args.timeout <= 0:
        parser.error("--timeout must be positive")
    return args


def admin_password(args: argparse.Namespace) -> str:
    if args.admin_password_file is None and os.environ.get("XSC_ADMIN_PASSWORD"):
        return os.environ["XSC_ADMIN_PASSWORD"]
    path = args.admin_password_file or args.var / "secrets" / "hq-admin-password"
    try:
        return path.read_text().strip()
    except OSError as error:
        raise CannotStart(f"no hq_admin password: cannot read {path} ({error.strerror}); `make up` writes it, "
                          "or give XSC_ADMIN_PASSWORD / --admin-password-file") from None


def hold_lock(var: Path):
    """One drill at a time per state folder: a second one would revoke the first one's keys as
    leftovers. The lock goes with the process (open file), however it ends."""
    (var / "run").mkdir(parents=True, exist_ok=True)
    lock = open(var / "run" / "drill.lock", "w")
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        raise CannotStart(f"another drill is running with the state folder {var}") from None
    return lock


def run(args: argparse.Namespace, password: str) -> int:
    with tempfile.TemporaryDirectory(prefix="xsc-drill-stubs-") as stubs_dir, grpc.insecure_channel(args.gateway) as channel:
        pb = Stubs(REPO / "proto", Path(stubs_dir))
        try:
            grpc.channel_ready_future(channel).result(timeout=min(10.0, args.timeout))
        except grpc.FutureTimeoutError:
            print(f"\nFAILED: cannot reach the gateway at {args.gateway}: is the system up (make up)?", flush=True)
            return 1
        drill = Drill(args, pb, channel, password)
        failure = None
        try:
            drill.run()
        except StepFailed as problem:
            failure = str(problem)
        except grpc.RpcError as error:
            failure = describe(error)
        except Interrupted:
            failure = "interrupted"
        finally:
            left = drill.clean_up()
            print(f"\n[cleanup] this run's keys {'NOT all revoked' if left else 'revoked'}, sessions ended", flush=True)
            for problem in left:
                print(f"    cannot revoke {problem} (the next run revokes it)", flush=True)
        if failure:
            print(f"\nFAILED at step {drill.step_no} ({drill.step_title}): {failure}", flush=True)
            return 1
        return 1 if left else 0


def main(argv: list[str]) -> int:
    args = parse_options(argv)
    # Ctrl-C and SIGTERM end the run through the `finally` that revokes its keys.
    signal.signal(signal.SIGTERM, interrupt)
    signal.signal(signal.SIGINT, interrupt)
    try:
        password = admin_password(args)
        if not os.access(args.xsc, os.X_OK):
            raise CannotStart(f"{args.xsc} is not an executable: build first (make up, or swift build), or give --xsc")
        lock = hold_lock(args.var)
    except CannotStart as problem:
        print(f"drill: {problem}", file=sys.stderr)
        return 2
    sms = f"SMS vendor fake {args.vendor_fake}" if args.vendor_fake else f"SMS file {args.sms_file}"
    print(f"drill against the gateway at {args.gateway} ({sms})", flush=True)
    try:
        return run(args, password)
    except Interrupted:
        print("\ninterrupted before the first step", flush=True)
        return 1
    finally:
        lock.close()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
