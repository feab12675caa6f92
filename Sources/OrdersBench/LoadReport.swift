import Foundation

/// What one run measured, printed as one JSON line for bench/tools/orders_report.py.
struct LoadReport {
    let label: String
    let concurrency: Int
    let connections: Int
    let seconds: Double
    let sortedLatenciesMicros: [Int]
    let errors: [String: Int]
    let servers: [ProcessSampler.Reading]

    var calls: Int { sortedLatenciesMicros.count }

    func percentile(_ fraction: Double) -> Int {
        guard !sortedLatenciesMicros.isEmpty else { return 0 }
        let index = min(sortedLatenciesMicros.count - 1, Int((Double(sortedLatenciesMicros.count) * fraction).rounded(.up)) - 1)
        return sortedLatenciesMicros[max(0, index)]
    }

    func json() -> String {
        let object: [String: Any] = [
            "label": label,
            "concurrency": concurrency,
            "connections": connections,
            "seconds": seconds,
            "calls": calls,
            "calls_per_s": seconds > 0 ? Double(calls) / seconds : 0,
            "p50_us": percentile(0.50),
            "p90_us": percentile(0.90),
            "p99_us": percentile(0.99),
            "max_us": sortedLatenciesMicros.last ?? 0,
            "errors": errors,
            "servers": servers.map { reading -> [String: Any] in
                ["pid": Int(reading.pid), "rss_max_mib": reading.rssMaxKiB / 1024, "rss_end_mib": reading.rssEndKiB / 1024,
                 "cpu_us_per_call": calls > 0 ? reading.cpuMicros / Double(calls) : 0,
                 "cpu_share": reading.cpuMicros / (seconds * 1e6)]
            },
        ]
        guard let data = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]),
              let text = String(data: data, encoding: .utf8) else { return "{}" }
        return text
    }
}
