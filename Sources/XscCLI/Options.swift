/// The few command-line shapes the CLI needs: `--name value`, `--name=value`, `--flag`, and
/// positional words. Unknown options are errors, so a typo never silently changes a command.
struct Options {
    private var options: [String: String] = [:]
    /// Every value of a repeatable option, in order.
    private var repeated: [String: [String]] = [:]
    private var flags: Set<String> = []
    private(set) var positional: [String] = []
    private var consumed: Set<String> = []
    private let raw: [String]

    init(_ arguments: [String]) {
        raw = arguments
    }

    /// Splits the arguments, knowing which option names take a value.
    mutating func parse(valued: Set<String>, flags allowed: Set<String>) throws(CLIError) {
        var rest = raw[...]
        while let argument = rest.popFirst() {
            guard argument.hasPrefix("--") else {
                positional.append(argument)
                continue
            }
            let parts = argument.dropFirst(2).split(separator: "=", maxSplits: 1).map(String.init)
            let name = parts.first ?? ""
            if valued.contains(name) {
                guard let value = parts.count == 2 ? parts[1] : rest.popFirst() else {
                    throw .usage("--\(name) needs a value")
                }
                options[name] = value
                repeated[name, default: []].append(value)
            } else if allowed.contains(name), parts.count == 1 {
                flags.insert(name)
            } else {
                throw .usage("unknown option --\(name)")
            }
        }
    }

    func value(_ name: String) -> String? { options[name] }
    func values(_ name: String) -> [String] { repeated[name] ?? [] }
    func has(_ flag: String) -> Bool { flags.contains(flag) }

    func seconds(_ name: String, default fallback: Int) throws(CLIError) -> Int {
        guard let text = options[name] else { return fallback }
        guard let value = Int(text), value > 0 else { throw .usage("--\(name) must be a positive number of seconds") }
        return value
    }
}

enum CLIError: Error, CustomStringConvertible {
    /// The command line is wrong (exit 2).
    case usage(String)
    /// The command could not do its work (exit 1).
    case failed(String)

    var description: String {
        switch self {
        case .usage(let text), .failed(let text): return text
        }
    }
}
