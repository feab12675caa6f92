/// Everything wrong with a service's environment, found in one pass so an operator fixes all
/// of it at once instead of restarting once per mistake.
public struct ServiceConfigError: Error, Sendable, Equatable, CustomStringConvertible {
    public let service: String
    /// One human-readable sentence per problem, naming the variable. Never contains a secret.
    public let problems: [String]

    public var description: String {
        let noun = problems.count == 1 ? "problem" : "problems"
        let lines = problems.map { "  - \($0)" }.joined(separator: "\n")
        return "invalid configuration for \(service) (\(problems.count) \(noun)):\n\(lines)"
    }
}
