import Glibc

/// What a service's `main.swift` does with its configuration before anything starts:
/// `--print-config` prints the settings (secrets hidden) and exits, a bad environment prints
/// every problem and exits with status 2, otherwise the service runs with the loaded config.
public enum ServiceStartup {
    public enum Decision: Equatable {
        case run(ServiceConfig)
        case exit(status: Int32, standardOutput: String, standardError: String)
    }

    public static func decide(service: String, peers: [String] = [], requiresDatabase: Bool = true,
                              arguments: [String], environment: [String: String]) -> Decision {
        let config: ServiceConfig
        do {
            config = try ServiceConfig.load(service: service, peers: peers, environment: environment,
                                            requiresDatabase: requiresDatabase)
        } catch {
            return .exit(status: 2, standardOutput: "", standardError: error.description + "\n")
        }
        if arguments.dropFirst().contains("--print-config") {
            return .exit(status: 0, standardOutput: config.printable(), standardError: "")
        }
        return .run(config)
    }

    /// `decide` for the real process: exits unless the service should run.
    public static func loadConfigOrExit(service: String, peers: [String] = [], requiresDatabase: Bool = true) -> ServiceConfig {
        switch decide(service: service, peers: peers, requiresDatabase: requiresDatabase,
                      arguments: CommandLine.arguments, environment: ProcessEnvironment.current()) {
        case .run(let config):
            return config
        case .exit(let status, let standardOutput, let standardError):
            writeAll(standardOutput, to: 1)
            writeAll(standardError, to: 2)
            exit(status)
        }
    }

    private static func writeAll(_ text: String, to fd: Int32) {
        var bytes = Array(text.utf8)[...]
        while !bytes.isEmpty {
            let written = bytes.withUnsafeBytes { raw -> Int in
                guard let base = raw.baseAddress else { return -1 }
                return write(fd, base, raw.count)
            }
            guard written > 0 else { return }
            bytes = bytes.dropFirst(written)
        }
    }
}
