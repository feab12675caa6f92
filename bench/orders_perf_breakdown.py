#!/usr/bin/env python3
"""xsc-orders CPU per order by cause, from `bench/orders.sh --perf DIR` recordings (issue 15).

    perf script -i "DIR/direct-PID.data" -F comm,tid,ip,sym,dso > after.txt   # likewise before.txt
    python3 bench/orders_perf_breakdown.py "before" before.txt 203 "after" after.txt 162

Arguments in threes: a label, a perf script text file, that run's service CPU per order (us).
A sample counts for the first cause (in the order below) any of its frames matches; prints a
Markdown table of us per order and shares."""
import re, sys
CATS = [
    ("outbox delivery (relay on the global executor, peers' calls)", r"OutboxRelay|RPCOutboxDeliverer|unaryBatch|ClientConnection|ClientStream|ChannelCore|_dispatch_worker_thread"),
    ("Postgres: plan and bind (statements to libpq's layout)", r"8Postgres7SessionC4plan|8Postgres7SessionC3add|PipelineParameters|PostgresValueO7encoded|ParameterArrays"),
    ("Postgres: send", r"sendPipeline|PQsendQuery|PQpipelineSync|PQsendPrepare"),
    ("Postgres: read and copy results", r"LoopExchange|readPipeline|PGResultCopy|PQconsumeInput|PQgetResult|PQisBusy|8Postgres7SessionC6finish"),
    ("Postgres: pool and connection hand-offs", r"8Postgres0A4Pool|ConnectionWorker"),
    ("validation", r"SubmissionValidation"),
    ("actor check", r"ActorVerifier"),
    ("other interceptors (trace, metrics, access log)", r"Interceptor"),
    ("intake: statements, ids, response message", r"\$s6Orders"),
    ("HTTP/2 read, call dispatch, request decode", r"readAvailable|ServerConnectionC13processEvents|openCall|startHandler|nghttp2_session_mem_recv|decodeSingleRequest"),
    ("response: encode, trailers, flush", r"ServerCallC4send|ServerCallC6finish|runUnary|HTTP2ConnectionC5flush|tickEnded|nghttp2_session_mem_send"),
]
def load(path):
    samples = []
    for block in open(path).read().split("\n\n"):
        lines = [l for l in block.split("\n") if l.strip()]
        if len(lines) < 2: continue
        frames = []
        for l in lines[1:]:
            parts = l.split(None, 1)
            if len(parts) < 2: continue
            frames.append(parts[1])
        samples.append(frames)
    return samples
def shares(samples):
    counts = {name: 0 for name, _ in CATS}
    counts["kernel, not attributed above"] = 0
    counts["unattributed (libc malloc/free, nghttp2, protobuf-c, libpq internals: no frame pointers)"] = 0
    counts["Swift runtime on the loops (task switches, retain/release between the above)"] = 0
    for frames in samples:
        text = "\n".join(frames)
        for name, pat in CATS:
            if re.search(pat, text):
                counts[name] += 1; break
        else:
            if frames and "kernel.kallsyms" in frames[0]:
                counts["kernel, not attributed above"] += 1
            elif "EventLoopC3run" in text:
                counts["Swift runtime on the loops (task switches, retain/release between the above)"] += 1
            else:
                counts["unattributed (libc malloc/free, nghttp2, protobuf-c, libpq internals: no frame pointers)"] += 1
    total = len(samples)
    return {k: v / total for k, v in counts.items()}, total
args = sys.argv[1:]
cols = []
for i in range(0, len(args), 3):
    label, path, cpu = args[i], args[i+1], float(args[i+2])
    s, n = shares(load(path))
    cols.append((label, s, n, cpu))
names = list(cols[0][1].keys())
print("| cause | " + " | ".join(f"{c[0]} (us, share)" for c in cols) + " |")
print("|---|" + "---|" * len(cols))
for name in names:
    print(f"| {name} | " + " | ".join(f"{c[1][name]*c[3]:.0f} ({100*c[1][name]:.1f}%)" for c in cols) + " |")
print("| **total (xsc-orders CPU per order)** | " + " | ".join(f"**{c[3]:.0f}** ({c[2]} samples)" for c in cols) + " |")
