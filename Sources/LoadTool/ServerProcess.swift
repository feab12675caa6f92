import Foundation

/// The measured server process: found by `--server-pid`, or as the process listening on the
/// target port (its socket's inode in /proc/net/tcp*, then the process holding that inode),
/// and read from /proc: CPU time (utime + stime of all threads) and resident memory.
struct ServerProcess: Sendable {
    let pid: Int32

    /// The process listening on `port` on this machine, if this user may see its descriptors.
    static func listening(on port: Int) -> ServerProcess? {
        let inodes = listeningInodes(port: port)
        guard !inodes.isEmpty, let entries = try? FileManager.default.contentsOfDirectory(atPath: "/proc") else { return nil }
        for entry in entries {
            guard let pid = Int32(entry), let fds = try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/fd") else { continue }
            for fd in fds {
                guard let link = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/fd/\(fd)") else { continue }
                if link.hasPrefix("socket:["), inodes.contains(String(link.dropFirst(8).dropLast())) { return ServerProcess(pid: pid) }
            }
        }
        return nil
    }

    /// Inodes of sockets in LISTEN state (0A) on `port`, IPv4 and IPv6.
    private static func listeningInodes(port: Int) -> Set<String> {
        let hexPort = String(format: "%04X", port)
        var inodes: Set<String> = []
        for table in ["/proc/net/tcp", "/proc/net/tcp6"] {
            guard let text = Self.read(table) else { continue }
            for line in text.split(separator: "\n").dropFirst() {
                let fields = line.split(separator: " ")
                guard fields.count > 9, fields[3] == "0A", fields[1].hasSuffix(":" + hexPort) else { continue }
                inodes.insert(String(fields[9]))
            }
        }
        return inodes
    }

    /// A /proc file read to its end: they report size 0 and come in page-sized reads, so a
    /// reader that trusts the size or reads once sees only the first page (of /proc/net/tcp on
    /// a busy machine, the first few dozen sockets).
    static func read(_ path: String) -> String? {
        guard let handle = FileHandle(forReadingAtPath: path) else { return nil }
        defer { try? handle.close() }
        guard let data = try? handle.readToEnd() else { return nil }
        return String(decoding: data, as: UTF8.self)
    }

    var isAlive: Bool { FileManager.default.fileExists(atPath: "/proc/\(pid)/stat") }

    /// Resident memory now, KiB (VmRSS of /proc/PID/status).
    func rssKiB() -> Double {
        guard let status = Self.read("/proc/\(pid)/status") else { return 0 }
        for line in status.split(separator: "\n") where line.hasPrefix("VmRSS:") {
            return Double(line.split(separator: " ").dropFirst().first ?? "0") ?? 0
        }
        return 0
    }

    /// CPU time so far, seconds: utime + stime of /proc/PID/stat (fields 14 and 15, clock ticks;
    /// they cover every thread of the process).
    func cpuSeconds() -> Double {
        guard let stat = Self.read("/proc/\(pid)/stat"),
              let close = stat.lastIndex(of: ")") else { return 0 }
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        // After the command come the state (field 3), so utime and stime are at 11 and 12 here.
        guard fields.count > 12, let user = Double(fields[11]), let system = Double(fields[12]) else { return 0 }
        return (user + system) / Double(sysconf(Int32(_SC_CLK_TCK)))
    }
}

/// What the server spent inside the measured window.
struct ServerReading: Sendable {
    var pid: Int32
    var cpuSeconds: Double = 0
    var rssMaxKiB: Double = 0
    var rssEndKiB: Double = 0
}

/// Samples RSS every 100 ms from `start` to `end` and takes the CPU time between them.
struct ServerSampler: Sendable {
    let server: ServerProcess

    func sample(from start: ContinuousClock.Instant, until end: ContinuousClock.Instant) async -> ServerReading {
        var reading = ServerReading(pid: server.pid)
        try? await Task.sleep(until: start, clock: .continuous)
        let cpuAtStart = server.cpuSeconds()
        while ContinuousClock.now < end {
            let rss = server.rssKiB()
            reading.rssMaxKiB = max(reading.rssMaxKiB, rss)
            reading.rssEndKiB = rss
            try? await Task.sleep(for: .milliseconds(100))
        }
        reading.cpuSeconds = server.cpuSeconds() - cpuAtStart
        return reading
    }
}
