"""bench/tls.sh's driver: h2c versus TLS on one xsc-bench-server (see bench/tls.sh)."""
import argparse
import os
import re
import statistics
import subprocess
import tempfile
import time

import driver  # RunningServer, port_open

BENCH_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TICK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK  # utime + stime


def h2load(url: str, requests: int, clients: int, streams: int, body: str) -> tuple[float, int, str]:
    out = subprocess.run(
        ["taskset", "-c", "1", "h2load", "-n", str(requests), "-c", str(clients), "-m", str(streams),
         "-d", body, "-H", "content-type: application/grpc", "-H", "te: trailers", url],
        capture_output=True, text=True, timeout=600).stdout
    rate = float(re.search(r"finished in [\d.]+\w*, ([\d.]+) req/s", out).group(1))
    succeeded = int(re.search(r"requests: \d+ total, \d+ started, \d+ done, (\d+) succeeded", out).group(1))
    protocol = re.search(r"TLS Protocol: (\S+)", out)
    return rate, succeeded, protocol.group(1) if protocol else "h2c"


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--binary", required=True)
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--requests", type=int, default=100000)
    p.add_argument("--connections", type=int, default=500, help="new connections, one call each")
    args = p.parse_args()
    body = os.path.join(BENCH_DIR, "echo-request.bin")
    folder = tempfile.mkdtemp(prefix="xsc-tls-bench-")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                    "-days", "1", "-subj", "/CN=localhost", "-keyout", "key.pem", "-out", "cert.pem"],
                   cwd=folder, check=True, capture_output=True)
    h2c_port, tls_port = 7498, 7499
    server = subprocess.Popen(["taskset", "-c", "0", args.binary, "--port", str(h2c_port), "--tls-port", str(tls_port),
                               "--tls-cert", f"{folder}/cert.pem", "--tls-key", f"{folder}/key.pem"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 30
        while not (driver.port_open(h2c_port) and driver.port_open(tls_port)):
            assert server.poll() is None and time.monotonic() < deadline, "the server did not start"
            time.sleep(0.05)
        urls = {"h2c": f"http://127.0.0.1:{h2c_port}/bench.v1.Bench/Echo",
                "tls": f"https://127.0.0.1:{tls_port}/bench.v1.Bench/Echo"}
        results = {name: {"rate": [], "cpu": [], "connect": [], "connect_cpu": []} for name in urls}
        for name, url in urls.items():
            h2load(url, 5000, 8, 32, body)  # warm-up
        for round_number in range(1, args.rounds + 1):
            for name, url in urls.items():
                before = cpu_seconds(server.pid)
                rate, ok, protocol = h2load(url, args.requests, 8, 32, body)
                used = cpu_seconds(server.pid) - before
                assert ok == args.requests, f"{name}: {ok} of {args.requests} succeeded"
                results[name]["rate"].append(rate)
                results[name]["cpu"].append(used / args.requests * 1e6)
                before = cpu_seconds(server.pid)
                connect_rate, ok, _ = h2load(url, args.connections, args.connections, 1, body)
                results[name]["connect"].append(connect_rate)
                results[name]["connect_cpu"].append((cpu_seconds(server.pid) - before) / max(ok, 1) * 1e6)
                print(f"round {round_number} {name:3s} ({protocol}): {rate:9,.0f} req/s, "
                      f"{results[name]['cpu'][-1]:5.1f} µs CPU/call; new connections: {connect_rate:7,.0f}/s, "
                      f"{results[name]['connect_cpu'][-1]:6.0f} µs CPU each", flush=True)
        med = {name: {key: statistics.median(values) for key, values in r.items()} for name, r in results.items()}
        print(f"\nmedians of {args.rounds} rounds (server on CPU 0, h2load on CPU 1, load average "
              f"{open('/proc/loadavg').read().split()[:3]}):")
        print("| listener | req/s (8 conns x 32 streams) | server CPU µs/call | new conns/s (1 call each) | server CPU µs/new conn |")
        print("|---|---|---|---|---|")
        for name in urls:
            m = med[name]
            print(f"| {name} | {m['rate']:,.0f} | {m['cpu']:.1f} | {m['connect']:,.0f} | {m['connect_cpu']:.0f} |")
        t, h = med["tls"], med["h2c"]
        print(f"| tls / h2c | {t['rate'] / h['rate']:.2f}x | {t['cpu'] / h['cpu']:.2f}x | "
              f"{t['connect'] / h['connect']:.2f}x | {t['connect_cpu'] / h['connect_cpu']:.2f}x |")
    finally:
        server.terminate()
        server.wait(timeout=10)


if __name__ == "__main__":
    main()
