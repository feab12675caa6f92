import Messages
import RPC

/// A refusal or failure of a call through the gateway, put for the person at the terminal: what
/// happened, the server's own message, and what to do next; and for scripts (`--json`) the
/// status, the stable ErrorInfo reason and the refused fields.
struct RPCFailure: Error {
    var code: StatusCode
    var serverMessage: String
    var reason: String
    var fields: [(field: String, description: String)]
    /// What to do next after this command's refusals, by status (replacing the status's general
    /// advice): a missing id, a state conflict, a duplicate each have their own next step.
    var hints: [StatusCode: String]
    /// The gateway the call went to (named when it could not be reached).
    var gateway: String

    /// `hint`: what to do next after this very error (its status's hint).
    init(_ error: RPCError, gateway: String, hint: String? = nil, hints: [StatusCode: String] = [:]) {
        code = error.code
        serverMessage = error.message
        reason = error.detail(Google_Rpc_ErrorInfo.self)?.reason ?? ""
        fields = (error.detail(Google_Rpc_BadRequest.self)?.fieldViolations ?? []).map { ($0.field, $0.description) }
        self.hints = hints
        if let hint { self.hints[error.code] = hint }
        self.gateway = gateway
    }

    var exitStatus: Int32 {
        switch code {
        case .unauthenticated: return ExitStatus.notLoggedIn
        case .notFound: return ExitStatus.notFound
        case .failedPrecondition, .alreadyExists, .permissionDenied, .aborted: return ExitStatus.refused
        case .invalidArgument, .outOfRange: return ExitStatus.invalidInput
        case .unavailable, .resourceExhausted, .deadlineExceeded: return ExitStatus.unavailable
        default: return ExitStatus.failure
        }
    }

    /// One sentence on what happened, in general terms for the status.
    var summary: String {
        switch code {
        case .unauthenticated: return "you are not logged in, or your session has ended"
        case .notFound: return "not found, or not yours to see"
        case .failedPrecondition: return "refused: not possible in its current state"
        case .alreadyExists: return "refused: it exists already"
        case .permissionDenied: return "refused: your role may not do this"
        case .aborted: return "refused: someone changed it at the same time"
        case .invalidArgument, .outOfRange: return "the input was refused"
        case .unavailable: return "the system cannot be reached at \(gateway) right now"
        case .resourceExhausted: return "the system is busy, or you are sending too fast"
        case .deadlineExceeded: return "no answer in time"
        case .unimplemented: return "this gateway does not know the command (an older system?)"
        default: return "the system failed (\(code))"
        }
    }

    /// What to do next when the command gave no hint of its own.
    var advice: String {
        switch code {
        case .unauthenticated: return "run `xsc login`, then try again"
        case .notFound: return "check the id; the list commands show what you can see"
        case .failedPrecondition: return "look at where it stands (the show command) and at who acts now"
        case .alreadyExists: return "look it up instead of creating it again"
        case .permissionDenied: return "ask the person whose role does this"
        case .aborted: return "look at it again, then retry"
        case .invalidArgument, .outOfRange: return "correct the fields listed and run the command again"
        case .unavailable: return "is the system up (`make status`) and is --gateway / XSC_GATEWAY right? try again shortly"
        case .resourceExhausted, .deadlineExceeded: return "wait a moment and try again"
        default: return "try again; if it keeps failing, tell the operators (with the time and the command)"
        }
    }

    /// The advice that fits: the command's hint for this status, else the status's own.
    var whatNext: String { hints[code] ?? advice }

    /// The whole message for the terminal: summary, the server's words, each refused field, and
    /// what to do next.
    var sentence: String {
        var text = summary
        if !serverMessage.isEmpty { text += ": " + serverMessage }
        for field in fields where !serverMessage.contains(field.description) {
            text += "\n  \(field.field): \(field.description)"
        }
        text += "\nwhat next: " + whatNext
        return text
    }

    var json: JSONValue {
        .object([
            ("code", .string(String(describing: code))),
            ("exit_status", .int(Int64(exitStatus))),
            ("message", .string(serverMessage)),
            ("reason", .string(reason)),
            ("summary", .string(summary)),
            ("what_next", .string(whatNext)),
            ("fields", .array(fields.map { .object([("field", .string($0.field)), ("description", .string($0.description))]) })),
        ])
    }
}
