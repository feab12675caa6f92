/// One SQL statement with its parameters ($1, $2...). SQL text is always a constant written
/// by the programmer; values only ever travel as parameters.
public struct PostgresStatement: Sendable {
    public var sql: String
    /// The values of $1, $2...
    public var parameters: [PostgresValue] {
        get {
            switch values {
            case .single(let values): return values
            case .parts(let parts, _): return parts.flatMap { $0 }
            }
        }
        set { values = .single(newValue) }
    }
    /// How many parameters there are.
    public var parameterCount: Int {
        switch values {
        case .single(let values): return values.count
        case .parts(_, let count): return count
        }
    }
    /// Prepared statements are parsed and planned once per connection and reused (the
    /// default). Turn off for one-off SQL so it does not take a cache slot.
    public var prepared: Bool
    /// Handed to the pool's commit observer once the transaction that ran this statement has
    /// committed (never when it rolled back, or when the outcome is unknown): see
    /// `PostgresPool.observeCommits`. The outbox uses it to deliver a fresh row at once.
    public var commitNote: (any Sendable)?

    /// The values as given, or as the parts of a fused statement gave them: a fusion keeps
    /// each part's array instead of copying every value into one (`StatementFusion`; copying
    /// and destroying an order's ~60 values was ~3% of its service CPU).
    enum Values: Sendable {
        case single([PostgresValue])
        case parts([[PostgresValue]], count: Int)
    }
    private(set) var values: Values

    public init(_ sql: String, _ parameters: [PostgresValue] = [], prepared: Bool = true,
                commitNote: (any Sendable)? = nil) {
        self.sql = sql
        self.values = .single(parameters)
        self.prepared = prepared
        self.commitNote = commitNote
    }

    init(_ sql: String, parts: [[PostgresValue]], count: Int, prepared: Bool, commitNote: (any Sendable)?) {
        self.sql = sql
        self.values = .parts(parts, count: count)
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
