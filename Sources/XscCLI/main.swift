// xsc: the XSC command-line client. `xsc --help` lists the commands.
import Glibc
import ServiceKit

let arguments = Array(CommandLine.arguments.dropFirst())
let environment = ProcessEnvironment.current()

let status: Int32
do {
    switch arguments.first {
    case nil, "-h", "--help", "help":
        print(Usage.text)
        status = arguments.isEmpty ? 2 : 0
    case "mint-actor":
        status = try MintActorCommand.run(Options(Array(arguments.dropFirst())), environment: environment)
    case "db-bootstrap":
        status = try await DBBootstrapCommand.run(Options(Array(arguments.dropFirst())), environment: environment)
    case "seed-drill":
        status = try await SeedDrillCommand.run(Options(Array(arguments.dropFirst())), environment: environment)
    case "outbox":
        status = try await OutboxCommand.run(Options(Array(arguments.dropFirst())), environment: environment)
    case "health":
        status = try await HealthCommand.run(Options(Array(arguments.dropFirst())))
    case let other?:
        throw CLIError.usage("unknown command \(other)")
    }
} catch let error as CLIError {
    fputs("xsc: \(error)\n", stderr)
    if case .usage = error { fputs("run `xsc --help` for usage\n", stderr) }
    status = 2
} catch {
    fputs("xsc: \(error)\n", stderr)
    status = 1
}
exit(status)
