#!/usr/bin/env python3
"""Self instructions per function from callgrind dumps (bench/orders.sh --callgrind DIR), per
call when given the calls, and the difference between two dumps (before, after).

    bench/callgrind_self.py AFTER_DUMP [--calls N] [--before BEFORE_DUMP --before-calls N] [--top 40]

Why not callgrind_annotate: on a dump made by `callgrind_control -d` of a Swift service it
folds everything under the threads' `clone`. This reads the format itself: the cost lines that
follow a `fn=` (not a `calls=`) are the function's own."""
import argparse
import collections
import re
import subprocess
import sys

NAME = re.compile(r"^\((\d+)\)(?: (.*))?$")


def self_costs(path: str) -> collections.Counter:
    names: dict[str, str] = {}
    costs: collections.Counter = collections.Counter()
    current = None
    after_calls = False
    with open(path, errors="replace") as dump:
        for line in dump:
            if line.startswith("fn="):
                match = NAME.match(line[3:].strip())
                if match:
                    number, name = match.groups()
                    if name:
                        names[number] = name
                    current = names.get(number, number)
                else:
                    current = line[3:].strip()
                after_calls = False
            elif line.startswith("calls="):
                after_calls = True
            elif line[:1].isdigit() or line[:1] in "+-*":
                if after_calls:
                    after_calls = False
                    continue
                fields = line.split()
                if len(fields) >= 2 and current is not None:
                    costs[current] += int(fields[1])
            elif line.startswith(("cfn=", "cfi=", "cob=", "cfl=")):
                # The callee's name may be defined here first.
                if line.startswith("cfn="):
                    match = NAME.match(line[4:].strip())
                    if match and match.group(2):
                        names[match.group(1)] = match.group(2)
    return costs


def demangled(names: list[str]) -> list[str]:
    try:
        out = subprocess.run(["swift", "demangle", "--simplified"], input="\n".join(names), capture_output=True,
                             text=True, check=True).stdout.splitlines()
        return out if len(out) == len(names) else names
    except (OSError, subprocess.CalledProcessError):
        return names


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("dump")
    parser.add_argument("--calls", type=float, default=1)
    parser.add_argument("--before")
    parser.add_argument("--before-calls", type=float, default=1)
    parser.add_argument("--top", type=int, default=40)
    args = parser.parse_args()
    after = self_costs(args.dump)
    total = sum(after.values())
    if not args.before:
        print(f"total {total / args.calls:,.0f} per call")
        top = after.most_common(args.top)
        for (name, cost), shown in zip(top, demangled([name for name, _ in top])):
            print(f"{cost / args.calls:10,.0f} {100 * cost / total:5.1f}%  {shown[:160]}")
        return 0
    before = self_costs(args.before)
    print(f"total {total / args.calls:,.0f} vs {sum(before.values()) / args.before_calls:,.0f} per call")
    delta = {name: after.get(name, 0) / args.calls - before.get(name, 0) / args.before_calls
             for name in set(after) | set(before)}
    top = sorted(delta.items(), key=lambda item: -abs(item[1]))[:args.top]
    for (name, change), shown in zip(top, demangled([name for name, _ in top])):
        print(f"{change:+10,.0f}  {after.get(name, 0) / args.calls:10,.0f}  {shown[:150]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
