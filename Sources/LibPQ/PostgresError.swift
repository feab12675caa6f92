/// The one error type of the PostgreSQL layers. Every libpq failure is turned into this at one
/// choke point (`PGErrorMapping.swift`); the pool adds its own kinds (unavailable, exhausted).
public struct PostgresError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Kind: Sendable, Equatable {
        /// The server rejected a statement; `sqlState` says why.
        case server
        /// The connection failed or broke mid-call; the statement's outcome may be unknown.
        case connection
        /// No connection to the database could be made (it is down or unreachable).
        case unavailable
        /// Every pooled connection stayed busy until the acquire timeout or the deadline.
        case poolExhausted
        /// The caller's deadline passed before the database answered.
        case deadlineExceeded
        /// A column could not be decoded as the requested Swift type.
        case decoding
        /// The API was used in a way that cannot work (bad parameter, unknown column...).
        case usage
    }

    public var kind: Kind
    /// Five-character SQLSTATE (e.g. "40001") when the server reported one.
    public var sqlState: String?
    /// Non-localised severity ("ERROR", "FATAL", "PANIC") when the server reported one.
    public var severity: String?
    public var message: String
    public var detail: String?
    public var hint: String?
    public var constraint: String?
    public var table: String?

    public init(_ kind: Kind, _ message: String, sqlState: String? = nil, severity: String? = nil,
                detail: String? = nil, hint: String? = nil, constraint: String? = nil, table: String? = nil) {
        self.kind = kind
        self.message = message
        self.sqlState = sqlState
        self.severity = severity
        self.detail = detail
        self.hint = hint
        self.constraint = constraint
        self.table = table
    }

    /// True when the connection that produced this error cannot be trusted any more and the
    /// failure says nothing about the statement itself: callers may map it to UNAVAILABLE.
    public var isConnectionLevel: Bool {
        switch kind {
        case .connection, .unavailable: return true
        case .server: return Self.isConnectionLevelState(sqlState)
        default: return false
        }
    }

    /// Serialization failure or deadlock: the whole transaction may simply be run again.
    public var isTransactionRetryable: Bool { sqlState == "40001" || sqlState == "40P01" }

    /// The server cancelled the statement (statement_timeout or a cancel request).
    public var isQueryCanceled: Bool { sqlState == "57014" }

    public var isUniqueViolation: Bool { sqlState == "23505" }

    /// Class 08 (connection exception) and the shutdown/crash states 57P01-57P03 mean the
    /// session is gone, not that the statement was wrong.
    static func isConnectionLevelState(_ state: String?) -> Bool {
        guard let state else { return false }
        return state.hasPrefix("08") || state == "57P01" || state == "57P02" || state == "57P03"
    }

    public var description: String {
        var text = "PostgresError.\(kind)"
        if let sqlState { text += " [\(sqlState)]" }
        text += ": \(message)"
        if let detail { text += " (\(detail))" }
        return text
    }
}
