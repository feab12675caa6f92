#!/usr/bin/env python3
"""Counts unmasked mainland mobile numbers in every log file under the given folders (issue 16's
row "all logs of the whole test run: 0 unmasked phone numbers"). A log line may carry a number
only masked (138****5678, ARCHITECTURE.md "Logs"). Files scanned: *.log (the services' logs the
wire tests keep, one per process). The development SMS file (*.jsonl) is the handset side and
legitimately holds numbers, so it is not a log and is not scanned.

Shown able to fail first: it plants a log with one unmasked number in a scratch folder and exits
2 unless it finds exactly that one. Exit 1 when any log holds an unmasked number (the first 20
are printed with file and line), 0 otherwise; prints the figure either way."""
from __future__ import annotations

import re
import sys
import tempfile
from pathlib import Path

# 11 digits starting 13-19, not inside a longer run of digits (ids, timestamps, amounts).
UNMASKED = re.compile(r"(?<![0-9])1[3-9][0-9]{9}(?![0-9])")
# Trace and span ids (random hex, every line of a call has them) can hold such a run between two
# letters ("...b16033341804..."): they are taken out before the scan, and only they.
TRACE_IDS = re.compile(r'"(?:trace_id|span_id)":"[0-9a-f]{16,32}"')


def scan(folders: list[Path]) -> tuple[int, int, list[str]]:
    files = lines = 0
    found: list[str] = []
    for folder in folders:
        for path in sorted(folder.rglob("*.log")) if folder.is_dir() else [folder]:
            try:
                text = path.read_text(errors="replace")
            except OSError:
                continue
            files += 1
            for number, line in enumerate(text.splitlines(), 1):
                lines += 1
                for match in UNMASKED.finditer(TRACE_IDS.sub("", line)):
                    found.append(f"{path}:{number}: {match.group(0)[:3]}****{match.group(0)[-4:]} unmasked")
    return files, lines, found


def self_test() -> None:
    with tempfile.TemporaryDirectory() as scratch:
        planted = Path(scratch) / "planted.log"
        planted.write_text('{"level":"info","phone":"138****5678"}\n{"level":"info","msg":"sms to 13812345678"}\n'
                           '{"id":"1700000000000123","amount":"139000000000"}\n'
                           '{"trace_id":"ae90d85644d328e0c768c5d9585ac813","span_id":"3cb5b16033341804"}\n')
        _, _, found = scan([Path(scratch)])
        if len(found) != 1:
            print(f"scan-phone-numbers: self-test failed (found {found})", file=sys.stderr)
            sys.exit(2)


def main() -> None:
    self_test()
    folders = [Path(arg) for arg in sys.argv[1:]] or [Path(tempfile.gettempdir())]
    files, lines, found = scan(folders)
    print(f"phone numbers in logs: {files} log files, {lines:,} lines scanned, {len(found)} unmasked "
          f"(self-test: a planted number was found)")
    per_file: dict[str, int] = {}
    for entry in found:
        name = entry.split(":", 1)[0]
        per_file[name] = per_file.get(name, 0) + 1
    for name, count in sorted(per_file.items(), key=lambda item: -item[1])[:10]:
        print(f"  {count} in {name}")
    for entry in found[:10]:
        print("  " + entry)
    sys.exit(1 if found else 0)


if __name__ == "__main__":
    main()
