/// One SQL statement with its parameters ($1, $2...). SQL text is always a constant written
/// by the programmer; values only ever travel as parameters.
public struct PostgresStatement: Sendable {
    public var sql: String
    public var parameters: [PostgresValue]
    /// Prepared statements are parsed and planned once per connection and reused (the
    /// default). Turn off for one-off SQL so it does not take a cache slot.
    public var prepared: Bool
    /// Handed to the pool's commit observer once the transaction that ran this statement has
    /// committed (never when it rolled back, or when the outcome is unknown): see
    /// `PostgresPool.observeCommits`. The outbox uses it to deliver a fresh row at once.
    public var commitNote: (any Sendable)?

    public init(_ sql: String, _ parameters: [PostgresValue] = [], prepared: Bool = true,
                commitNote: (any Sendable)? = nil) {
        self.sql = sql
        self.parameters = parameters
        self.prepared = prepared
        self.commitNote = commitNote
    }
}

/// Isolation level of a transaction (each maps to a fixed BEGIN statement).
public enum IsolationLevel: Sendable {
    case readCommitted, repeatableRead, serializable

    var beginStatement: String {
        switch self {
        case .readCommitted: return "BEGIN ISOLATION LEVEL READ COMMITTED"
        case .repeatableRead: return "BEGIN ISOLATION LEVEL REPEATABLE READ"
        case .serializable: return "BEGIN ISOLATION LEVEL SERIALIZABLE"
        }
    }
}
