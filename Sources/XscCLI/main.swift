// xsc: the XSC command line. `xsc --help` lists the commands; Xsc.swift is the root.
import ArgumentParser
import Glibc

/// Parses and runs a command. Errors of the command line exit 2 (argument-parser's own choice is
/// 64); a command's own errors carry their status (ExitStatus); help, version and completion
/// scripts are argument-parser's.
func runXsc() async -> Int32 {
    var command: ParsableCommand
    do {
        command = try await Xsc.asyncParseAsRoot()
    } catch {
        let code = Xsc.exitCode(for: error)
        if code == .validationFailure {
            fputs(Xsc.fullMessage(for: error) + "\n", stderr)
            return ExitStatus.usage
        }
        Xsc.exit(withError: error)
    }
    do {
        if var asyncCommand = command as? AsyncParsableCommand {
            try await asyncCommand.run()
        } else {
            try command.run()
        }
        return ExitStatus.success
    } catch let error as CLIError {
        fputs("xsc: \(error)\n", stderr)
        if case .usage = error { fputs("run `xsc help` for usage\n", stderr) }
        return error.exitStatus
    } catch let error as ExitCode {
        return error.rawValue
    } catch {
        let code = Xsc.exitCode(for: error)
        if code == .validationFailure {
            fputs(Xsc.fullMessage(for: error) + "\n", stderr)
            return ExitStatus.usage
        }
        if code == .success { Xsc.exit(withError: error) }
        fputs("xsc: \(error)\n", stderr)
        return ExitStatus.failure
    }
}

exit(await runXsc())
