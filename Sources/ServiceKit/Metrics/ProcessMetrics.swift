import Glibc

/// The process's own footprint on /metrics, read from /proc at scrape time: resident memory and
/// open descriptors, the two figures that show a leak or a flood of connections first.
public enum ProcessMetrics {
    public static func register(in registry: MetricsRegistry) {
        registry.gaugeCallback("xsc_process_resident_memory_bytes", help: "Resident set size of the process.") {
            residentBytes().map { [GaugeSample([], Double($0))] } ?? []
        }
        registry.gaugeCallback("xsc_process_open_fds", help: "Open file descriptors (sockets included).") {
            openDescriptors().map { [GaugeSample([], Double($0))] } ?? []
        }
    }

    /// Resident pages × page size, from /proc/self/statm; nil where /proc is missing.
    public static func residentBytes() -> Int? {
        guard let file = fopen("/proc/self/statm", "r") else { return nil }
        defer { fclose(file) }
        var size = 0
        var resident = 0
        guard readStatm(file, &size, &resident) else { return nil }
        return resident * Int(sysconf(Int32(_SC_PAGESIZE)))
    }

    /// Entries of /proc/self/fd (less the one this count itself opens).
    public static func openDescriptors() -> Int? {
        guard let directory = opendir("/proc/self/fd") else { return nil }
        defer { closedir(directory) }
        var count = 0
        while let entry = readdir(directory) {
            if entry.pointee.d_name.0 != CChar(UInt8(ascii: ".")) { count += 1 }
        }
        return count - 1
    }

    private static func readStatm(_ file: UnsafeMutablePointer<FILE>, _ size: inout Int, _ resident: inout Int) -> Bool {
        var line = [CChar](repeating: 0, count: 128)
        guard fgets(&line, Int32(line.count), file) != nil else { return false }
        let fields = String(cString: line).split(separator: " ")
        guard fields.count >= 2, let total = Int(fields[0]), let held = Int(fields[1]) else { return false }
        size = total
        resident = held
        return true
    }
}
