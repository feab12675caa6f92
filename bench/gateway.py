"""The gateway benchmark (issue 4; not a test): bench.v1.Bench/Echo called directly on
xsc-bench-server and through xsc-gateway (bearer session, admission, signed actor, forwarding),
in one run, with the same h2load load. Prints the gateway's added latency and its throughput
with the gateway alone on one core. Driven by bench/gateway.sh, which builds and sets up
PostgreSQL; see there for the pinning."""
from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent / "tools"))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "Tests" / "wire"))
import h2load  # noqa: E402
import gateway_support as gs  # noqa: E402
import wire_support  # noqa: E402

import grpc  # noqa: E402


def pinned(cpu: str, argv: list[str]) -> list[str]:
    return ["taskset", "-c", cpu, *argv]


def grpc_failures(admin_port: int) -> int:
    """Non-OK statuses the gateway counted for the bench method (h2load sees only HTTP 200)."""
    text = urllib.request.urlopen(f"http://127.0.0.1:{admin_port}/metrics", timeout=10).read().decode()
    failed = 0
    for line in text.splitlines():
        if line.startswith("xsc_rpc_server_calls_total{") and "Echo" in line and 'code="OK"' not in line:
            failed += int(float(line.rsplit(" ", 1)[1]))
    return failed


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database-url", required=True, help="the gateway role's URL (xsc db-bootstrap)")
    parser.add_argument("--requests", type=int, default=20000)
    parser.add_argument("--latency-requests", type=int, default=3000)
    parser.add_argument("--gateway-cpu", default="0")
    parser.add_argument("--other-cpu", default="1")
    args = parser.parse_args()

    body = str(Path(__file__).resolve().parent / "echo-request.bin")
    bench_port = wire_support.free_port()
    bench = wire_support.ServerProcess("xsc-bench-server", pinned(args.other_cpu, [
        str(wire_support.binary("xsc-bench-server")), "--port", str(bench_port)]), bench_port).start()
    admin_port = wire_support.free_port()
    gateway = gs.start_gateway(args.database_url, {"XSC_BENCH_ADDR": f"127.0.0.1:{bench_port}"}, {
        "XSC_RATE_BURST": "1000000", "XSC_RATE_PER_SECOND": "1000000",
        "XSC_ADMIN_LISTEN": f"127.0.0.1:{admin_port}", "LOG_LEVEL": "warning"})
    # Pin the gateway alone on its core (taskset on the running process and its threads).
    subprocess.run(["taskset", "-a", "-p", "-c", args.gateway_cpu, str(gateway.proc.pid)], check=True,
                   capture_output=True)
    try:
        pb = gs.generate_gateway_stubs(_stub_dir())
        with grpc.insecure_channel(gateway.address) as channel:
            auth = pb["gateway_pb2_grpc"].AuthServiceStub(channel)
            deadline = time.monotonic() + 60
            while True:
                try:
                    token = auth.Login(pb["gateway_pb2"].LoginRequest(phone=gs.ADMIN_PHONE, password=gs.ADMIN_PASSWORD),
                                       timeout=30).session_token
                    break
                except grpc.RpcError:
                    if time.monotonic() > deadline:
                        raise
                    time.sleep(0.2)
            echo = channel.unary_unary("/bench.v1.Bench/Echo")
            payload = Path(body).read_bytes()[5:]
            assert echo(payload, metadata=(("authorization", "Bearer " + token),), timeout=30) == payload

        auth_header = ["-H", "authorization: Bearer " + token]
        results = {}
        for name, port, extra in [("direct", bench_port, []), ("gateway", gateway.port, auth_header)]:
            url = f"http://127.0.0.1:{port}/bench.v1.Bench/Echo"
            saved = h2load.GRPC_HEADERS
            h2load.GRPC_HEADERS = saved + extra
            try:
                h2load.run(url, body, 1000, 1, 1, args.other_cpu)  # warm-up
                latency = h2load.run(url, body, args.latency_requests, 1, 1, args.other_cpu)
                throughput = h2load.run(url, body, args.requests, 4, 16, args.other_cpu)
            finally:
                h2load.GRPC_HEADERS = saved
            results[name] = {"latency": latency.as_dict(), "throughput": throughput.as_dict()}
        failures = grpc_failures(admin_port)
    finally:
        gateway.stop()
        bench.stop()

    d, g = results["direct"], results["gateway"]
    added = {k: g["latency"]["latency_us"][k] - d["latency"]["latency_us"][k] for k in ("p50", "p90", "p99")}
    print(json.dumps(results, indent=1))
    print(f"\nbench.v1.Bench/Echo, one connection, one call at a time ({args.latency_requests} calls):")
    print(f"  direct   p50 {d['latency']['latency_us']['p50']} us  p99 {d['latency']['latency_us']['p99']} us")
    print(f"  gateway  p50 {g['latency']['latency_us']['p50']} us  p99 {g['latency']['latency_us']['p99']} us")
    print(f"  added by the gateway: p50 {added['p50']} us, p90 {added['p90']} us, p99 {added['p99']} us")
    print(f"throughput, 4 connections x 16 streams ({args.requests} calls), gateway alone on CPU {args.gateway_cpu}, "
          f"bench server and h2load on CPU {args.other_cpu}:")
    print(f"  direct   {d['throughput']['req_per_s']:.0f} req/s")
    print(f"  gateway  {g['throughput']['req_per_s']:.0f} req/s  (= the gateway's throughput on one core, "
          f"unless CPU {args.other_cpu} saturated first)")
    print(f"  gateway calls with a non-OK gRPC status during the run: {failures}")
    return 0 if failures == 0 else 1


def _stub_dir() -> Path:
    import tempfile
    return Path(tempfile.mkdtemp(prefix="gw-bench-stubs-"))


if __name__ == "__main__":
    sys.exit(main())
