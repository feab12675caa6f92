// xsc-interop-client --server_host H --server_port P --test_case NAME
// Runs one of gRPC's interop test cases with our Swift client against any interop server;
// exit status 0 when it passed, 1 when it failed, 2 on bad arguments.
#if canImport(Glibc)
import Glibc
#endif

import RPC

/// Flags in the stock interop clients' style: `--name=value` or `--name value`.
func parseFlags(_ arguments: [String]) -> [String: String]? {
    var flags: [String: String] = [:]
    var rest = arguments[...]
    while let argument = rest.popFirst() {
        guard argument.hasPrefix("--") else { return nil }
        let parts = argument.dropFirst(2).split(separator: "=", maxSplits: 1).map(String.init)
        guard let value = parts.count == 2 ? parts[1] : rest.popFirst() else { return nil }
        flags[parts[0]] = value
    }
    return flags
}

let usage = "usage: xsc-interop-client --server_host H --server_port P --test_case NAME\n"
    + "test cases: \(InteropCases.names.joined(separator: " "))\n"
guard let flags = parseFlags(Array(CommandLine.arguments.dropFirst())),
      let testCase = flags["test_case"], InteropCases.names.contains(testCase),
      let port = Int(flags["server_port"] ?? ""),
      flags["use_tls"] ?? "false" == "false"
else {
    fputs(usage, stderr)
    exit(2)
}

let channel = RPCChannel(host: flags["server_host"] ?? "127.0.0.1", port: port)
do {
    try await InteropCases(channel: channel).run(testCase)
    print("PASS \(testCase)")
    exit(0)
} catch {
    print("FAIL \(testCase): \(error)")
    exit(1)
}
