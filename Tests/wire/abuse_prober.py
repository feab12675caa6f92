"""The well-behaved client of the abuse tests, in its own process (so the abuser's Python work
does not share its interpreter lock): EmptyCall in a loop for --seconds, then one JSON line
{"latencies_ms": [...], "failures": [...]} on stdout."""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import grpc  # noqa: E402

import wire_support  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--address", required=True)
    parser.add_argument("--stubs-dir", required=True)
    parser.add_argument("--seconds", type=float, required=True)
    parser.add_argument("--pause-ms", type=float, default=2.0)
    args = parser.parse_args()
    stubs = wire_support.load_stubs(Path(args.stubs_dir))
    latencies, failures = [], []
    with grpc.insecure_channel(args.address) as channel:
        stub = stubs.test_pb2_grpc.TestServiceStub(channel)
        empty = stubs.empty_pb2.Empty()
        for _ in range(20):
            stub.EmptyCall(empty, timeout=10)
        print("ready", flush=True)
        end = time.monotonic() + args.seconds
        for _ in range(10_000_000):  # bounded; the clock ends it
            if time.monotonic() >= end:
                break
            started = time.perf_counter()
            try:
                stub.EmptyCall(empty, timeout=10)
                latencies.append((time.perf_counter() - started) * 1000)
            except grpc.RpcError as error:
                failures.append(f"{error.code()}: {error.details()}")
            time.sleep(args.pause_ms / 1000)
    print(json.dumps({"latencies_ms": latencies, "failures": failures}), flush=True)


if __name__ == "__main__":
    main()
