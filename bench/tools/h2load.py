"""Runs h2load against bench.v1.Bench/Echo and reads its results."""

import math
import re
import subprocess
import tempfile
from dataclasses import dataclass, asdict

GRPC_HEADERS = ["-H", "content-type: application/grpc", "-H", "te: trailers"]


@dataclass
class LoadResult:
    requests: int
    succeeded: int
    failed: int
    status_2xx: int
    seconds: float
    req_per_s: float
    latency_us: dict  # min/mean/p50/p90/p99/p999/max over every request in the log

    def as_dict(self) -> dict:
        return asdict(self)


def percentile(sorted_values: list[int], fraction: float) -> int:
    """Nearest-rank percentile of an ascending list."""
    if not sorted_values:
        return 0
    rank = max(1, math.ceil(fraction * len(sorted_values)))
    return sorted_values[min(rank, len(sorted_values)) - 1]


def latency_summary(log_path: str) -> dict:
    durations = []
    with open(log_path) as f:
        for line in f:
            columns = line.split("\t")
            if len(columns) >= 3 and columns[1] != "-1":
                durations.append(int(columns[2]))
    durations.sort()
    if not durations:
        return {}
    return {
        "min": durations[0],
        "mean": round(sum(durations) / len(durations), 1),
        "p50": percentile(durations, 0.50),
        "p90": percentile(durations, 0.90),
        "p99": percentile(durations, 0.99),
        "p999": percentile(durations, 0.999),
        "max": durations[-1],
    }


def _parse(stdout: str) -> tuple[int, int, int, int, float, float]:
    finished = re.search(r"finished in ([\d.]+)(m?s), ([\d.]+) req/s", stdout)
    counts = re.search(r"requests: (\d+) total, \d+ started, \d+ done, (\d+) succeeded, (\d+) failed", stdout)
    codes = re.search(r"status codes: (\d+) 2xx", stdout)
    if not (finished and counts and codes):
        raise RuntimeError("cannot read h2load output:\n" + stdout)
    seconds = float(finished.group(1)) / (1000 if finished.group(2) == "ms" else 1)
    return (int(counts.group(1)), int(counts.group(2)), int(counts.group(3)),
            int(codes.group(1)), seconds, float(finished.group(3)))


def run(url: str, body_path: str, requests: int, clients: int, streams: int,
        cpu: str | None, keep_log: str | None = None) -> LoadResult:
    with tempfile.NamedTemporaryFile(prefix="h2load-", suffix=".log") as log:
        command = ["h2load", "-n", str(requests), "-c", str(clients), "-m", str(streams), "-t", "1",
                   "-d", body_path, *GRPC_HEADERS, "--log-file", log.name, url]
        if cpu is not None:
            command = ["taskset", "-c", cpu, *command]
        done = subprocess.run(command, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            raise RuntimeError(f"h2load exited {done.returncode}:\n{done.stdout}\n{done.stderr}")
        total, succeeded, failed, ok_2xx, seconds, rate = _parse(done.stdout)
        latency = latency_summary(log.name)
        if keep_log:
            subprocess.run(["cp", log.name, keep_log], check=True)
    return LoadResult(total, succeeded, failed, ok_2xx, seconds, rate, latency)
