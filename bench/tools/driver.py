"""Benchmark rounds for bench.v1.Bench/Echo servers, as ../shared/bench/README.md describes:
each server pinned to one core, h2load pinned to the other, the same commands for every server.

usage: driver.py --server NAME:PORT:BINARY [--server ...] [options]   (bench/run.sh calls this)
"""

import argparse
import os
import signal
import socket
import subprocess
import sys
import threading
import time

import h2load
import procstats
import report

BENCH_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def port_open(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.2)
        return s.connect_ex(("127.0.0.1", port)) == 0


class RunningServer:
    def __init__(self, name: str, port: int, binary: str, cpu: str, log_path: str):
        if port_open(port):
            raise RuntimeError(f"port {port} already in use; pick another with --port-base")
        self.name, self.port = name, port
        self.log = open(log_path, "ab")
        self.process = subprocess.Popen(["taskset", "-c", cpu, binary, "--port", str(port)],
                                        stdout=self.log, stderr=subprocess.STDOUT)
        self.pid = self.process.pid  # taskset execs the server, so this is the server's pid

    def wait_listening(self, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while not port_open(self.port):
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited with {self.process.returncode} before listening"
                                   f" (log: {self.log.name})")
            if time.monotonic() > deadline:
                raise RuntimeError(f"{self.name} not listening on {self.port} after {timeout}s")
            time.sleep(0.05)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.close()


class PeakRSS:
    """Samples VmRSS every 100 ms while a load runs; keeps the highest reading."""

    def __init__(self, pid: int):
        self.pid, self.peak_kib = pid, 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        while not self._stop.is_set():
            try:
                self.peak_kib = max(self.peak_kib, procstats.rss_kib(self.pid))
            except (FileNotFoundError, ProcessLookupError):
                return
            self._stop.wait(0.1)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()


def measured_load(server: RunningServer, args, requests: int, clients: int, streams: int, log: str | None):
    url = f"http://127.0.0.1:{server.port}/bench.v1.Bench/Echo"
    before = procstats.Snapshot.take(server.pid)
    with PeakRSS(server.pid) as peak:
        result = h2load.run(url, args.body, requests, clients, streams, args.load_cpu, keep_log=log)
    after = procstats.Snapshot.take(server.pid)
    done = max(result.succeeded, 1)
    return {
        **result.as_dict(),
        "ctx_switches_per_call": (after.context_switches - before.context_switches) / done,
        "cpu_us_per_call": (after.cpu_seconds - before.cpu_seconds) * 1e6 / done,
        "peak_rss_kib": peak.peak_kib,
        "rss_after_kib": procstats.rss_kib(server.pid),
    }


def one_round(name: str, port: int, binary: str, args, round_index: int) -> dict:
    log_path = os.path.join(args.results_dir, f"{args.stamp}-{name}-server.log")
    server = RunningServer(name, port, binary, args.server_cpu, log_path)
    try:
        server.wait_listening()
        time.sleep(args.settle)
        idle = {"rss_idle_kib": procstats.rss_kib(server.pid), "threads_idle": procstats.thread_count(server.pid)}
        if round_index == 0:
            check = subprocess.run([sys.executable, os.path.join(BENCH_DIR, "tools", "verify_echo.py"),
                                    args.proto_dir, args.body, f"127.0.0.1:{port}"],
                                   capture_output=True, text=True)
            print("   " + (check.stdout.strip() or check.stderr.strip()), flush=True)
            if check.returncode != 0:
                raise RuntimeError(f"{name} failed the grpcio echo check")
        if args.warmup:
            h2load.run(f"http://127.0.0.1:{port}/bench.v1.Bench/Echo", args.body, args.warmup,
                       args.clients, args.streams, args.load_cpu)
        throughput = measured_load(server, args, args.requests, args.clients, args.streams, None)
        single = measured_load(server, args, args.latency_requests, 1, 1, None)
        return {**idle, "threads_loaded": procstats.thread_count(server.pid),
                "throughput": throughput, "single_stream": single}
    finally:
        server.stop()


def parse_arguments():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--server", action="append", required=True, help="NAME:PORT:BINARY")
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--requests", type=int, default=200000)
    p.add_argument("--clients", type=int, default=8)
    p.add_argument("--streams", type=int, default=32)
    p.add_argument("--latency-requests", type=int, default=20000)
    p.add_argument("--warmup", type=int, default=5000, help="unmeasured requests before each round")
    p.add_argument("--settle", type=float, default=1.0, help="seconds between listening and idle RSS")
    p.add_argument("--server-cpu", default="0")
    p.add_argument("--load-cpu", default="1")
    p.add_argument("--body", default=os.path.join(BENCH_DIR, "echo-request.bin"))
    p.add_argument("--proto-dir", default=BENCH_DIR)
    p.add_argument("--results-dir", default=os.path.join(BENCH_DIR, "results"))
    p.add_argument("--baseline", default="grpc-swift-2", help="server the ratios are taken against")
    p.add_argument("--note", default="", help="free text stored with the results")
    return p.parse_args()


def main() -> int:
    args = parse_arguments()
    args.stamp = time.strftime("%Y%m%d-%H%M%S")
    os.makedirs(args.results_dir, exist_ok=True)
    conditions = report.conditions(args)
    servers = [spec.split(":", 2) for spec in args.server]
    rounds: dict[str, list[dict]] = {name: [] for name, _, _ in servers}
    failures: dict[str, str] = {}
    for round_index in range(args.rounds):
        for name, port, binary in servers:  # interleaved, so drift in machine load hits every server
            if name in failures:
                continue
            print(f"== round {round_index + 1}/{args.rounds}: {name}", flush=True)
            try:
                rounds[name].append(one_round(name, int(port), binary, args, round_index))
                report.print_round(rounds[name][-1])
            except RuntimeError as error:
                failures[name] = str(error)
                print(f"   SKIPPED {name}: {error}", flush=True)
    conditions["load_average_after"] = tuple(round(x, 2) for x in os.getloadavg())
    summary = report.summarise(rounds, failures, args.baseline)
    report.print_table(summary, conditions)
    path = report.write_json(args, conditions, rounds, summary, failures)
    print(f"\nresults: {path}")
    return 0 if all(rounds.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
