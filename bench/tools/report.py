"""Medians over rounds, the printed table, the ratio against grpc-swift-2, issue 2's targets,
and the JSON written to bench/results/."""

import json
import os
import platform
import statistics
import subprocess

# Issue 2's targets, per server core (see bench/README.md).
GRPC_GO_REQ_PER_S = 57_000
PLAIN_C_REQ_PER_S = 227_000
TARGET_P50_US = 130
TARGET_IDLE_RSS_MIB = 15

# metric name -> (path into a round, unit, True when higher is better)
METRICS = {
    "req_per_s": (("throughput", "req_per_s"), "req/s", True),
    "load_p50_us": (("throughput", "latency_us", "p50"), "µs", False),
    "load_p99_us": (("throughput", "latency_us", "p99"), "µs", False),
    "single_p50_us": (("single_stream", "latency_us", "p50"), "µs", False),
    "single_p90_us": (("single_stream", "latency_us", "p90"), "µs", False),
    "single_p99_us": (("single_stream", "latency_us", "p99"), "µs", False),
    "single_req_per_s": (("single_stream", "req_per_s"), "req/s", True),
    "rss_idle_mib": (("rss_idle_kib",), "MiB", False),
    "rss_loaded_mib": (("throughput", "peak_rss_kib"), "MiB", False),
    "ctx_switches_per_call": (("throughput", "ctx_switches_per_call"), "", False),
    "cpu_us_per_call": (("throughput", "cpu_us_per_call"), "µs", False),
    "single_ctx_switches_per_call": (("single_stream", "ctx_switches_per_call"), "", False),
    "single_cpu_us_per_call": (("single_stream", "cpu_us_per_call"), "µs", False),
    "threads_loaded": (("threads_loaded",), "", False),
}


def _dig(record: dict, path: tuple):
    for key in path:
        record = record[key]
    return record / 1024 if path[-1].endswith("_kib") else record


def summarise(rounds: dict[str, list[dict]], failures: dict[str, str], baseline: str) -> dict:
    medians = {name: {metric: statistics.median(_dig(r, spec[0]) for r in runs)
                      for metric, spec in METRICS.items()}
               for name, runs in rounds.items() if runs}
    base = medians.get(baseline)
    ratios = {}
    if base:
        for name, values in medians.items():
            if name != baseline:
                ratios[name] = {m: (v / base[m] if base[m] else None) for m, v in values.items()}
    targets = {name: target_check(values, base) for name, values in medians.items() if name != baseline}
    return {"medians": medians, "ratios_vs_baseline": ratios, "baseline": baseline,
            "targets": targets, "failures": failures}


def target_check(values: dict, base: dict | None) -> dict:
    checks = {
        "req/s >= 1.5 x grpc-go (85,500)": values["req_per_s"] >= 1.5 * GRPC_GO_REQ_PER_S,
        "req/s >= half of plain C (113,500)": values["req_per_s"] >= PLAIN_C_REQ_PER_S / 2,
        f"single-stream p50 <= {TARGET_P50_US} µs": values["single_p50_us"] <= TARGET_P50_US,
        f"idle RSS <= {TARGET_IDLE_RSS_MIB} MB": values["rss_idle_mib"] <= TARGET_IDLE_RSS_MIB,
    }
    if base:
        checks["req/s >= 10 x grpc-swift-2 (same run)"] = values["req_per_s"] >= 10 * base["req_per_s"]
    return checks


def print_round(r: dict) -> None:
    t, s = r["throughput"], r["single_stream"]
    print(f"   load: {t['req_per_s']:,.0f} req/s ({t['succeeded']}/{t['requests']} 2xx), "
          f"p50 {t['latency_us'].get('p50')} µs, {t['ctx_switches_per_call']:.2f} ctxsw/call, "
          f"{t['cpu_us_per_call']:.1f} µs CPU/call, peak RSS {t['peak_rss_kib'] / 1024:.1f} MiB | "
          f"single: p50 {s['latency_us'].get('p50')} µs, p99 {s['latency_us'].get('p99')} µs, "
          f"{s['ctx_switches_per_call']:.2f} ctxsw/call | "
          f"idle RSS {r['rss_idle_kib'] / 1024:.1f} MiB", flush=True)


def print_table(summary: dict, conditions: dict) -> None:
    medians, ratios = summary["medians"], summary["ratios_vs_baseline"]
    print(f"\nMedians of {conditions['rounds']} rounds; server on CPU {conditions['server_cpu']}, "
          f"h2load on CPU {conditions['load_cpu']}; load average before {conditions['load_average_before']}")
    header = ("server", "req/s", "load p50/p99 µs", "single p50/p90/p99 µs", "RSS idle/loaded MiB",
              "ctxsw/call load/single", "CPU µs/call load/single")
    rows = [header]
    for name, m in medians.items():
        rows.append((name, f"{m['req_per_s']:,.0f}", f"{m['load_p50_us']:.0f}/{m['load_p99_us']:.0f}",
                     f"{m['single_p50_us']:.0f}/{m['single_p90_us']:.0f}/{m['single_p99_us']:.0f}",
                     f"{m['rss_idle_mib']:.1f}/{m['rss_loaded_mib']:.1f}",
                     f"{m['ctx_switches_per_call']:.2f}/{m['single_ctx_switches_per_call']:.2f}",
                     f"{m['cpu_us_per_call']:.1f}/{m['single_cpu_us_per_call']:.1f}"))
    for name, r in ratios.items():
        rows.append((f"{name} / {summary['baseline']}", _x(r["req_per_s"]),
                     f"{_x(r['load_p50_us'])}/{_x(r['load_p99_us'])}",
                     f"{_x(r['single_p50_us'])}/{_x(r['single_p90_us'])}/{_x(r['single_p99_us'])}",
                     f"{_x(r['rss_idle_mib'])}/{_x(r['rss_loaded_mib'])}",
                     f"{_x(r['ctx_switches_per_call'])}/{_x(r['single_ctx_switches_per_call'])}",
                     f"{_x(r['cpu_us_per_call'])}/{_x(r['single_cpu_us_per_call'])}"))
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    for i, row in enumerate(rows if medians else []):
        print("| " + " | ".join(cell.ljust(w) for cell, w in zip(row, widths)) + " |")
        if i == 0:
            print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    if ratios:
        print("(ratio rows: value / baseline; req/s higher is better, every other column lower is better)")
    for name, checks in summary["targets"].items():
        print(f"\nissue 2 targets for {name}:")
        for label, met in checks.items():
            print(f"  [{'met' if met else 'NOT met'}] {label}")
    for name, why in summary["failures"].items():
        print(f"\n{name}: not measured: {why}")


def _x(ratio) -> str:
    return "-" if ratio is None else f"{ratio:.2f}x"


def conditions(args) -> dict:
    def output(command):
        try:
            return subprocess.run(command, capture_output=True, text=True).stdout.strip()
        except OSError:
            return ""
    return {
        "stamp": args.stamp, "rounds": args.rounds, "requests": args.requests,
        "clients": args.clients, "streams": args.streams, "latency_requests": args.latency_requests,
        "warmup": args.warmup, "server_cpu": args.server_cpu, "load_cpu": args.load_cpu,
        "cpus": os.cpu_count(), "kernel": platform.release(),
        "cpu_model": output(["sh", "-c", "grep -m1 'model name' /proc/cpuinfo | cut -d: -f2"]),
        "h2load": output(["h2load", "--version"]),
        "git_commit": output(["git", "-C", os.path.dirname(__file__), "rev-parse", "HEAD"]),
        "load_average_before": tuple(round(x, 2) for x in os.getloadavg()),
        "note": args.note,
    }


def write_json(args, conditions: dict, rounds: dict, summary: dict, failures: dict) -> str:
    path = os.path.join(args.results_dir, f"{args.stamp}.json")
    with open(path, "w") as f:
        json.dump({"conditions": conditions, "summary": summary, "rounds": rounds}, f, indent=2,
                  ensure_ascii=False)
        f.write("\n")
    latest = os.path.join(args.results_dir, "latest.json")
    if os.path.lexists(latest):
        os.remove(latest)
    os.symlink(os.path.basename(path), latest)
    return path
