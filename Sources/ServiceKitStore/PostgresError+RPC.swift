import Postgres
import RPC

/// What a caller is told when a handler lets a database error through: a status it can act on
/// (retry on UNAVAILABLE or ABORTED, give up on DEADLINE_EXCEEDED) and never the SQL, the
/// constraint or the server's message, which are for the service's own log.
extension PostgresError: RPCErrorConvertible {
    public var rpcError: RPCError {
        switch kind {
        case .unavailable, .connection:
            return RPCError(code: .unavailable, message: "the service's database is unreachable; retry later")
        case .poolExhausted:
            return RPCError(code: .unavailable, message: "the service is busy (no database connection free); retry later")
        case .deadlineExceeded:
            return RPCError(code: .deadlineExceeded, message: "the database did not answer before the deadline")
        case .decoding, .usage:
            return RPCError(code: .internalError, message: "internal error in the service")
        case .server:
            return Self.status(forSQLState: sqlState ?? "")
        }
    }

    static func status(forSQLState state: String) -> RPCError {
        switch state {
        case "40001", "40P01":
            return RPCError(code: .aborted, message: "a concurrent change conflicted with this one; retry")
        case "57014":
            return RPCError(code: .deadlineExceeded, message: "the database statement was cancelled before it finished")
        case "57P01", "57P02", "57P03":
            return RPCError(code: .unavailable, message: "the service's database is restarting; retry later")
        default:
            if state.hasPrefix("08") {
                return RPCError(code: .unavailable, message: "the service's database is unreachable; retry later")
            }
            if state.hasPrefix("53") {
                return RPCError(code: .resourceExhausted, message: "the service's database is out of resources; retry later")
            }
            return RPCError(code: .internalError, message: "internal error in the service")
        }
    }
}
