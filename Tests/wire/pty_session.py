"""Runs one program in a pseudo-terminal (pexpect) and prints what a person would have seen, as
JSON: {"status": exit status, "screen": text}. Optional dialogue: pairs of (what to wait for,
what to type). Usage: python3 pty_session.py '<json: {"argv": [...], "env": {...}, "dialogue": [[expect, send], ...]}>'

A separate process on purpose: the wire tests' own process runs grpcio, whose threads do not
survive a Python-level fork (pexpect forks before it execs), so the child sometimes died before
running the program. Started through subprocess (fork_exec in C), this process has no grpcio."""
from __future__ import annotations

import json
import sys

import pexpect


def main() -> int:
    spec = json.loads(sys.argv[1])
    child = pexpect.spawn(spec["argv"][0], spec["argv"][1:], env=spec["env"], encoding="utf-8",
                          timeout=spec.get("timeout", 60), dimensions=(50, 250))
    seen = []
    for expected, typed in spec.get("dialogue", []):
        child.expect_exact(expected)
        seen.append(child.before + child.after)
        child.sendline(typed)
    child.expect(pexpect.EOF)
    seen.append(child.before)
    child.close()
    print(json.dumps({"status": child.exitstatus, "signal": child.signalstatus,
                      "screen": "".join(seen).replace("\r\n", "\n")}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
