"""Readings of a running server process from /proc (Linux only)."""

import os
from dataclasses import dataclass

_CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def _status_fields(path: str) -> dict[str, str]:
    fields = {}
    with open(path) as f:
        for line in f:
            key, _, value = line.partition(":")
            fields[key] = value.strip()
    return fields


def rss_kib(pid: int) -> int:
    """Resident set size now (VmRSS), in KiB."""
    return int(_status_fields(f"/proc/{pid}/status")["VmRSS"].split()[0])


def thread_count(pid: int) -> int:
    return int(_status_fields(f"/proc/{pid}/status")["Threads"])


def context_switches(pid: int) -> int:
    """Voluntary + involuntary switches summed over the live threads.

    /proc/PID/status counts the main thread only, so every task is read; switches of threads
    that have already exited are lost (the servers measured keep their threads).
    """
    total = 0
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            fields = _status_fields(f"/proc/{pid}/task/{tid}/status")
        except FileNotFoundError:  # thread exited while we looked
            continue
        total += int(fields["voluntary_ctxt_switches"]) + int(fields["nonvoluntary_ctxt_switches"])
    return total


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of the whole process (all threads, dead ones included)."""
    with open(f"/proc/{pid}/stat") as f:
        stat = f.read()
    # The command name may contain spaces; fields after it start past the last ')'.
    after_name = stat[stat.rindex(")") + 2:].split()
    utime, stime = int(after_name[11]), int(after_name[12])
    return (utime + stime) / _CLOCK_TICKS


@dataclass
class Snapshot:
    context_switches: int
    cpu_seconds: float

    @staticmethod
    def take(pid: int) -> "Snapshot":
        return Snapshot(context_switches(pid), cpu_seconds(pid))
