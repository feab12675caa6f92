import ServiceKit

/// ServiceStartup's decision plus the host's own setting, the migrations folder, so a bad
/// environment and a missing folder are reported together, in ServiceConfigError's format.
enum HostStartup {
    struct Settings: Equatable {
        var config: ServiceConfig
        var migrationsDirectory: String
    }

    enum Decision: Equatable {
        case run(Settings)
        case exit(status: Int32, standardOutput: String, standardError: String)
    }

    static func decide(_ definition: ServiceDefinition, arguments: [String], environment: [String: String]) -> Decision {
        let directory = MigrationsLocation.directory(service: definition.name, environment: environment)
        var problems: [String] = []
        var config: ServiceConfig?
        do {
            config = try ServiceConfig.load(service: definition.name, peers: definition.peers, environment: environment)
        } catch {
            problems = error.problems
        }
        if let problem = MigrationsLocation.problem(with: directory) { problems.append(problem) }
        problems += definition.settingsProblems
        guard problems.isEmpty, let config else {
            return .exit(status: 2, standardOutput: "", standardError: describe(service: definition.name, problems))
        }
        if arguments.dropFirst().contains("--print-config") {
            let text = config.printable() + "\(MigrationsLocation.variable)=\(directory)\n"
            return .exit(status: 0, standardOutput: text, standardError: "")
        }
        return .run(Settings(config: config, migrationsDirectory: directory))
    }

    private static func describe(service: String, _ problems: [String]) -> String {
        let noun = problems.count == 1 ? "problem" : "problems"
        let lines = problems.map { "  - \($0)" }.joined(separator: "\n")
        return "invalid configuration for \(service) (\(problems.count) \(noun)):\n\(lines)\n"
    }
}
