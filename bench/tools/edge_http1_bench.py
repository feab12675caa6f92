"""bench/edge-http1.sh's driver: the gateway's partner JSON API over plain HTTP/1.1 (7180),
HTTP/1.1 over TLS and HTTP/2 over TLS (both on the TLS port), in alternating rounds on one
gateway (release build, its own fresh database through Tests/wire/cluster_support.py).
GET /openapi.json (no key, no database): what the transports cost, not the backends."""
import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "Tests" / "wire"))
TICK = os.sysconf("SC_CLK_TCK")
BATCH = 50


def cpu_seconds(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK  # utime + stime


def h2load(url: str, requests: int, clients: int, *flags: str) -> tuple[float, int, str]:
    out = subprocess.run(["h2load", "-n", str(requests), "-c", str(clients), *flags, url],
                         capture_output=True, text=True, timeout=600).stdout
    rate = float(re.search(r"finished in [\d.]+\w*, ([\d.]+) req/s", out).group(1))
    succeeded = int(re.search(r"requests: \d+ total, \d+ started, \d+ done, (\d+) succeeded", out).group(1))
    protocol = re.search(r"Application protocol: (\S+)", out)
    return rate, succeeded, protocol.group(1) if protocol else "?"


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--requests", type=int, default=20000)
    p.add_argument("--connections", type=int, default=500, help="new connections, one request each (in batches of 50)")
    args = p.parse_args()
    import cluster_support  # after XSC_BIN_DIR is set by the shell script
    import wire_support

    folder = Path(tempfile.mkdtemp(prefix="xsc-edge-http1-"))
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "1",
                    "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost", "-keyout", "key.pem", "-out", "cert.pem"],
                   cwd=folder, check=True, capture_output=True)
    tls_port = wire_support.free_port()
    env = {"gateway": {"XSC_TLS_LISTEN": f"127.0.0.1:{tls_port}", "XSC_TLS_CERT_FILE": str(folder / "cert.pem"),
                       "XSC_TLS_KEY_FILE": str(folder / "key.pem"), "LOG_LEVEL": "warning"}}
    with cluster_support.Cluster.started(folder / "cluster", services=("gateway",), env=env) as cluster:
        pid = cluster.processes["gateway"].proc.pid
        urls = {"plain HTTP/1.1": (cluster.http_url() + "/openapi.json", ("--h1",)),
                "TLS HTTP/1.1": (f"https://127.0.0.1:{tls_port}/openapi.json", ("--h1",)),
                "TLS HTTP/2": (f"https://127.0.0.1:{tls_port}/openapi.json", ("-m", "1"))}
        results = {name: {"rate": [], "cpu": [], "connect": [], "connect_cpu": []} for name in urls}
        for url, flags in urls.values():
            h2load(url, 2000, 8, *flags)  # warm-up
        for round_number in range(1, args.rounds + 1):
            for name, (url, flags) in urls.items():
                before = cpu_seconds(pid)
                rate, ok, protocol = h2load(url, args.requests, 8, *flags)
                assert ok == args.requests, f"{name}: {ok} of {args.requests} succeeded"
                results[name]["rate"].append(rate)
                results[name]["cpu"].append((cpu_seconds(pid) - before) / args.requests * 1e6)
                # One request per connection, in batches below the HTTP/1.1 cap of 64 connections per
                # client address (past it connections are closed: TLS ones after their handshake).
                before, began, ok = cpu_seconds(pid), time.monotonic(), 0
                for _ in range(args.connections // BATCH):
                    ok += h2load(url, BATCH, BATCH, *flags)[1]
                assert ok == args.connections // BATCH * BATCH, f"{name}: {ok} connections answered"
                connect_rate = ok / (time.monotonic() - began)
                results[name]["connect"].append(connect_rate)
                results[name]["connect_cpu"].append((cpu_seconds(pid) - before) / ok * 1e6)
                print(f"round {round_number} {name:14s} ({protocol}): {rate:8,.0f} req/s, {results[name]['cpu'][-1]:6.1f} µs CPU/req; "
                      f"new connections {connect_rate:6,.0f}/s, {results[name]['connect_cpu'][-1]:5.0f} µs CPU each", flush=True)
            time.sleep(0.2)
        med = {name: {key: statistics.median(values) for key, values in r.items()} for name, r in results.items()}
        print(f"\nmedians of {args.rounds} rounds (GET /openapi.json, {len(open(ROOT / 'services/gateway/openapi.json').read()):,} "
              f"bytes; load average {open('/proc/loadavg').read().split()[:3]}):")
        print("| transport | req/s (8 keep-alive conns) | gateway CPU µs/req | new conns/s (1 req each, 50 at a time) | gateway CPU µs/new conn |")
        print("|---|---|---|---|---|")
        for name in urls:
            m = med[name]
            print(f"| {name} | {m['rate']:,.0f} | {m['cpu']:.1f} | {m['connect']:,.0f} | {m['connect_cpu']:.0f} |")


if __name__ == "__main__":
    main()
