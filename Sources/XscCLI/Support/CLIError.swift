/// What a command says when it cannot do its work, and the exit status that goes with it
/// (`xsc --help`, "EXIT STATUS", lists them; scripts branch on them).
enum CLIError: Error, CustomStringConvertible {
    /// The command line is wrong (exit 2).
    case usage(String)
    /// The command could not do its work (exit 1), or a refusal from the system with its own
    /// status (`RPCFailure`).
    case failed(String)
    case refused(RPCFailure)

    var description: String {
        switch self {
        case .usage(let text), .failed(let text): return text
        case .refused(let failure): return failure.sentence
        }
    }

    var exitStatus: Int32 {
        switch self {
        case .usage: return ExitStatus.usage
        case .failed: return ExitStatus.failure
        case .refused(let failure): return failure.exitStatus
        }
    }
}

/// The exit statuses of `xsc`, one per kind of outcome a script may want to tell apart.
enum ExitStatus {
    static let success: Int32 = 0
    /// Anything else that went wrong (an internal error of the system, a file not written).
    static let failure: Int32 = 1
    /// The command line is wrong: see `xsc help COMMAND`.
    static let usage: Int32 = 2
    /// Not logged in, or the session has ended (UNAUTHENTICATED): run `xsc login`.
    static let notLoggedIn: Int32 = 3
    /// Not found, or not yours to see (NOT_FOUND): the system never says which.
    static let notFound: Int32 = 4
    /// Refused: the object's state does not allow it, it exists already, or your role may not
    /// (FAILED_PRECONDITION, ALREADY_EXISTS, PERMISSION_DENIED, ABORTED).
    static let refused: Int32 = 5
    /// The input was refused field by field (INVALID_ARGUMENT).
    static let invalidInput: Int32 = 6
    /// The system could not be reached, was busy or answered too late (UNAVAILABLE,
    /// RESOURCE_EXHAUSTED, DEADLINE_EXCEEDED): trying again later may work.
    static let unavailable: Int32 = 7

    static let helpText = """
    EXIT STATUS
      0  done
      1  failed for another reason (the message says why)
      2  the command line is wrong (see xsc help COMMAND)
      3  not logged in, or the session ended: run `xsc login`
      4  not found, or not yours to see (the system does not say which)
      5  refused: not in this state, exists already, or not for your role
      6  the input was refused; every bad field is listed
      7  the system could not be reached, was busy or too slow: try again shortly
    """
}
