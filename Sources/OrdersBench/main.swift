// xsc-orders-bench: the SubmitOrder load generator of bench/orders.sh (issue 5). A benchmark
// tool, not a test: it prints figures and never judges them.
//
//   xsc-orders-bench seed  --target HOST:PORT --metadata-file FILE
//   xsc-orders-bench run   --target HOST:PORT [--metadata-file FILE] [--metadata 'name: value']...
//                          [--concurrency 16] [--connections 1] [--duration 10] [--warmup 2]
//                          [--server-pid PID]... [--label NAME] [--partner ID]
//   xsc-orders-bench sink  --port PORT        (answers every call OK: the outbox's peer)
//
// `run` keeps --concurrency callers busy (closed loop: each sends its next order when the
// previous answer arrived), every order distinct (its own external_id and idempotency key),
// and prints one JSON line: calls/s, latency percentiles, errors, the servers' RSS and CPU.

#if canImport(Glibc)
import Glibc
#endif

let arguments = Array(CommandLine.arguments.dropFirst())
guard let command = arguments.first else {
    print(BenchOptions.usage)
    exit(2)
}
do {
    let options = try BenchOptions(arguments: Array(arguments.dropFirst()))
    switch command {
    case "seed":
        try await CatalogSeed.run(options)
    case "run":
        let report = try await OrderLoad(options: options).run()
        print(report.json())
    case "sink":
        try OutboxSink.serve(port: options.port)
    default:
        print(BenchOptions.usage)
        exit(2)
    }
} catch let error as BenchOptions.UsageError {
    print("xsc-orders-bench: \(error.message)\n\(BenchOptions.usage)")
    exit(2)
} catch {
    print("xsc-orders-bench: \(error)")
    exit(1)
}
