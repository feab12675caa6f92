import Foundation

/// Resident memory and CPU time of the measured servers, read from /proc while a run lasts:
/// the highest VmRSS seen (every 100 ms) and the CPU time spent inside the measured window.
struct ProcessSampler: Sendable {
    struct Reading: Sendable {
        var pid: Int32
        var rssMaxKiB: Double = 0
        var rssEndKiB: Double = 0
        var cpuMicros: Double = 0
    }

    let pids: [Int32]

    func sample(from start: ContinuousClock.Instant, until end: ContinuousClock.Instant) async -> [Reading] {
        var readings = pids.map { Reading(pid: $0) }
        try? await Task.sleep(until: start, clock: .continuous)
        let cpuAtStart = pids.map(Self.cpuMicros)
        while ContinuousClock.now < end {
            for index in readings.indices {
                let rss = Self.rssKiB(readings[index].pid)
                readings[index].rssMaxKiB = max(readings[index].rssMaxKiB, rss)
                readings[index].rssEndKiB = rss
            }
            try? await Task.sleep(for: .milliseconds(100))
        }
        for index in readings.indices {
            readings[index].cpuMicros = Self.cpuMicros(readings[index].pid) - cpuAtStart[index]
        }
        return readings
    }

    static func rssKiB(_ pid: Int32) -> Double {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return 0 }
        for line in status.split(separator: "\n") where line.hasPrefix("VmRSS:") {
            return Double(line.split(separator: " ").dropFirst().first ?? "0") ?? 0
        }
        return 0
    }

    /// utime + stime of every thread (fields 14 and 15 of /proc/PID/stat, in clock ticks).
    static func cpuMicros(_ pid: Int32) -> Double {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { return 0 }
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        // After the command: state is field 3, so utime (14) and stime (15) are at 11 and 12.
        guard fields.count > 12, let user = Double(fields[11]), let system = Double(fields[12]) else { return 0 }
        return (user + system) * 1e6 / Double(sysconf(Int32(_SC_CLK_TCK)))
    }
}
