/// One SQL statement with its parameters ($1, $2...). SQL text is always a constant written
/// by the programmer; values only ever travel as parameters.
public struct PostgresStatement: Sendable {
    public var sql: String
    public var parameters: [PostgresValue]
    /// Prepared statements are parsed and planned once per connection and reused (the
    /// default). Turn off for one-off SQL so it does not take a cache slot.
    public var prepared: Bool

    public init(_ sql: String, _ parameters: [PostgresValue] = [], prepared: Bool = true) {
        self.sql = sql
        self.parameters = parameters
        self.prepared = prepared
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
