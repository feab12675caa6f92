import Glibc
import Synchronization

/// Where finished log lines go. A line is one JSON object without its newline.
public protocol LogSink: Sendable {
    func write(line: String)
}

/// Writes each line to file descriptor 2 with a single `write` under a lock, so lines from
/// several threads never interleave.
public final class StandardErrorSink: LogSink {
    private let lock = Mutex(())

    public init() {}

    public func write(line: String) {
        var bytes = Array(line.utf8)
        bytes.append(UInt8(ascii: "\n"))
        lock.withLock { _ in
            var offset = 0
            while offset < bytes.count {
                let written = bytes.withUnsafeBytes { raw -> Int in
                    guard let base = raw.baseAddress else { return -1 }
                    return Glibc.write(2, base + offset, raw.count - offset)
                }
                if written > 0 {
                    offset += written
                } else if written < 0 && errno == EINTR {
                    continue
                } else {
                    return  // stderr is gone; losing a log line must not stop the service
                }
            }
        }
    }
}

/// Keeps lines in memory, for tests and for tools that show a service's log themselves.
public final class MemoryLogSink: LogSink {
    private let stored = Mutex<[String]>([])

    public init() {}

    public func write(line: String) {
        stored.withLock { $0.append(line) }
    }

    public var lines: [String] { stored.withLock { $0 } }
}
