import Foundation
import RPC

/// Command-line options of every subcommand (each uses the ones it needs).
struct BenchOptions {
    struct UsageError: Error { let message: String }

    static let usage = """
        usage: xsc-orders-bench seed --target HOST:PORT --metadata-file FILE [--directory-metadata-file SYSTEM-ACTOR-FILE]
               xsc-orders-bench run --target HOST:PORT [--metadata-file FILE] [--metadata 'name: value']...
                   [--concurrency N] [--connections N] [--duration S] [--warmup S] [--server-pid PID]...
                   [--label NAME] [--partner ID]
               xsc-orders-bench sink --port PORT
        """

    var host = "127.0.0.1"
    var port = 0
    var metadata = Metadata()
    /// A SYSTEM actor (`seed`): feeds the bench's accounts to orders' directory, which routing
    /// is checked against.
    var directoryMetadata: Metadata?
    var concurrency = 16
    var connections = 1
    var duration: Duration = .seconds(10)
    var warmup: Duration = .seconds(2)
    var serverPIDs: [Int32] = []
    var label = "run"
    /// The partner the orders come from: only its id goes into the external ids here; the
    /// service takes the partner from the caller's actor.
    var partner = "drill-mall"

    init(arguments: [String]) throws(UsageError) {
        var rest = arguments.makeIterator()
        while let flag = rest.next() {
            guard let value = rest.next() else { throw UsageError(message: "\(flag) needs a value") }
            switch flag {
            case "--target":
                let parts = value.split(separator: ":")
                guard parts.count == 2, let number = Int(parts[1]) else { throw UsageError(message: "--target HOST:PORT") }
                host = String(parts[0])
                port = number
            case "--port": port = try Self.number(value, flag)
            case "--metadata-file":
                guard let text = try? String(contentsOfFile: value, encoding: .utf8) else {
                    throw UsageError(message: "cannot read \(value)")
                }
                for line in text.split(separator: "\n") where !line.isEmpty { try addMetadata(String(line)) }
            case "--metadata": try addMetadata(value)
            case "--directory-metadata-file":
                guard let text = try? String(contentsOfFile: value, encoding: .utf8) else {
                    throw UsageError(message: "cannot read \(value)")
                }
                let saved = metadata
                metadata = Metadata()
                for line in text.split(separator: "\n") where !line.isEmpty { try addMetadata(String(line)) }
                directoryMetadata = metadata
                metadata = saved
            case "--concurrency": concurrency = try Self.number(value, flag)
            case "--connections": connections = try Self.number(value, flag)
            case "--duration": duration = .milliseconds(try Self.millis(value, flag))
            case "--warmup": warmup = .milliseconds(try Self.millis(value, flag))
            case "--server-pid": serverPIDs.append(Int32(try Self.number(value, flag)))
            case "--label": label = value
            case "--partner": partner = value
            default: throw UsageError(message: "unknown option \(flag)")
            }
        }
    }

    /// "name: value" as `xsc mint-actor --plain` prints it; `-bin` values are base64.
    private mutating func addMetadata(_ line: String) throws(UsageError) {
        guard let colon = line.firstIndex(of: ":") else { throw UsageError(message: "metadata line without a colon: \(line)") }
        let name = line[..<colon].trimmingCharacters(in: .whitespaces)
        let value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        if name.hasSuffix("-bin") {
            let padded = value + String(repeating: "=", count: (4 - value.count % 4) % 4)
            guard let bytes = Data(base64Encoded: padded) else { throw UsageError(message: "bad base64 in \(name)") }
            metadata.add(name, binary: Array(bytes))
        } else {
            metadata.add(name, value)
        }
    }

    private static func number(_ text: String, _ flag: String) throws(UsageError) -> Int {
        guard let value = Int(text), value > 0 else { throw UsageError(message: "\(flag) takes a positive number") }
        return value
    }

    private static func millis(_ text: String, _ flag: String) throws(UsageError) -> Int {
        guard let value = Double(text), value >= 0 else { throw UsageError(message: "\(flag) takes seconds") }
        return Int(value * 1000)
    }
}
