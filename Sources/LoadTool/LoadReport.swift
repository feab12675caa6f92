import Foundation

/// What one run measured, as text for people or one JSON object (`--json`).
struct LoadReport {
    var scenario: Scenario
    var via: Access.Via
    var target: String
    var mode: Driver.Mode
    var connections: Int
    var warmupSeconds: Double
    var durationSeconds: Double
    var result: Driver.Result
    /// The measured servers (the first is the target's).
    var servers: [ServerReading]
    var extra: [String: Double]

    private var perSecond: Double { durationSeconds > 0 ? Double(result.operations) / durationSeconds : 0 }
    private func percentile(_ value: Double) -> UInt64 {
        result.latencyMicros.totalCount == 0 ? 0 : result.latencyMicros.valueAtPercentile(value)
    }

    private var latencies: [(String, UInt64)] {
        [("p50", percentile(50)), ("p90", percentile(90)), ("p99", percentile(99)), ("p99.9", percentile(99.9)),
         ("max", result.latencyMicros.totalCount == 0 ? 0 : result.latencyMicros.max)]
    }

    private var modeWords: String {
        switch mode {
        case .closed(let concurrency): "closed loop, \(concurrency) callers"
        case .open(let rate, let maxInFlight): "open loop at \(Self.number(rate))/s (up to \(maxInFlight) in flight)"
        }
    }

    func text() -> String {
        var lines = ["xsc-load \(scenario.name): \(scenario.service) \(via == .direct ? "directly" : "through the gateway") at \(target), "
                     + "\(modeWords), \(connections) connection\(connections == 1 ? "" : "s"), "
                     + "\(Self.number(durationSeconds)) s after \(Self.number(warmupSeconds)) s warm-up"]
        lines.append("  operations  \(result.operations) (\(Self.number(perSecond))/s), \(result.rpcs) RPCs "
                     + "(\(scenario.rpcs.joined(separator: ", "))), \(result.answeredCalls) answered OK")
        lines.append("  latency us  " + latencies.map { "\($0.0) \($0.1)" }.joined(separator: "  ")
                     + (isOpen ? "  (from the due time)" : ""))
        let statuses = result.statuses.sorted { $0.value > $1.value }.map { "\($0.key) \($0.value)" }
        lines.append("  statuses    " + (statuses.isEmpty ? "none" : statuses.joined(separator: ", ")))
        for (status, message) in result.samples.sorted(by: { $0.key < $1.key }) {
            lines.append("    \(status): \(message.prefix(200))")
        }
        if isOpen { lines.append("  late sends  \(result.lateSends) (sent > 1 ms after due: every caller was busy)") }
        for server in servers {
            let perOp = result.operations > 0 ? server.cpuSeconds * 1e6 / Double(result.operations) : 0
            lines.append("  server      pid \(server.pid): CPU \(Self.number(server.cpuSeconds)) s = \(Self.number(perOp)) us/operation, "
                         + "\(Self.number(server.cpuSeconds / durationSeconds)) cores; RSS max \(Self.number(server.rssMaxKiB / 1024)) MiB, "
                         + "end \(Self.number(server.rssEndKiB / 1024)) MiB")
        }
        if servers.isEmpty {
            lines.append("  server      not measured (no --server-pid, and no process of this user listens on the target port)")
        }
        for (name, value) in extra.sorted(by: { $0.key < $1.key }) {
            lines.append("  \(name.padding(toLength: 11, withPad: " ", startingAt: 0)) \(Self.number(value))")
        }
        return lines.joined(separator: "\n")
    }

    /// RESOURCE_EXHAUSTED answers' latency: percentiles and how many came within 10 ms.
    private var refusalLatencies: [String: Int] {
        let histogram = result.refusalMicros
        guard histogram.totalCount > 0 else { return ["count": 0] }
        let within = Int(histogram.count(within: 0...10_000))
        return ["count": Int(histogram.totalCount), "p50": Int(histogram.valueAtPercentile(50)),
                "p99": Int(histogram.valueAtPercentile(99)), "max": Int(histogram.max), "within_10ms": within]
    }

    private var isOpen: Bool {
        if case .open = mode { return true }
        return false
    }

    func json() -> String {
        var object: [String: Any] = [
            "scenario": scenario.name,
            "service": scenario.service,
            "workload": scenario.workload,
            "rpcs": scenario.rpcs,
            "via": via.rawValue,
            "target": target,
            "connections": connections,
            "warmup_s": warmupSeconds,
            "duration_s": durationSeconds,
            "operations": result.operations,
            "rpc_calls": result.rpcs,
            "rpc_calls_answered": result.answeredCalls,
            "operations_per_s": perSecond,
            "latency_us": Dictionary(uniqueKeysWithValues: latencies.map { ($0.0, Int($0.1)) })
                .merging(["mean": Int(result.latencyMicros.totalCount == 0 ? 0 : result.latencyMicros.mean.rounded()),
                          "count": Int(result.latencyMicros.totalCount)]) { first, _ in first },
            "statuses": result.statuses,
            "refusal_latency_us": refusalLatencies,
            "status_samples": result.samples,
            "extra": extra,
            "machine": Self.machine(),
        ]
        switch mode {
        case .closed(let concurrency):
            object["mode"] = "closed"
            object["concurrency"] = concurrency
        case .open(let rate, let maxInFlight):
            object["mode"] = "open"
            object["rate"] = rate
            object["max_in_flight"] = maxInFlight
            object["late_sends"] = result.lateSends
        }
        let serverObjects = servers.map { server in
            [
                "pid": Int(server.pid),
                "cpu_s": server.cpuSeconds,
                "cpu_us_per_operation": result.operations > 0 ? server.cpuSeconds * 1e6 / Double(result.operations) : 0,
                "cpu_cores": durationSeconds > 0 ? server.cpuSeconds / durationSeconds : 0,
                "rss_max_mib": server.rssMaxKiB / 1024,
                "rss_end_mib": server.rssEndKiB / 1024,
            ] as [String: Any]
        }
        object["servers"] = serverObjects
        if let first = serverObjects.first { object["server"] = first }
        guard let data = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]),
              let text = String(data: data, encoding: .utf8) else { return "{}" }
        return text
    }

    /// CPUs and load average when the run ended: the figures mean little without them.
    static func machine() -> [String: Any] {
        let load = ServerProcess.read("/proc/loadavg")?.split(separator: " ").prefix(3).compactMap { Double($0) } ?? []
        return ["cpus": ProcessInfo.processInfo.activeProcessorCount, "loadavg": load]
    }

    static func number(_ value: Double) -> String {
        if value >= 100 || value == value.rounded() { return String(Int(value.rounded())) }
        return String(format: value >= 10 ? "%.1f" : "%.2f", value)
    }
}
