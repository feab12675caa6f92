import LibPQ

// The value, row and error types are defined once in LibPQ (where libpq results are turned
// into them); users of the runtime layer name them through these aliases and never import
// LibPQ themselves.
public typealias PostgresError = LibPQ.PostgresError
public typealias PostgresValue = LibPQ.PostgresValue
public typealias PostgresEncodable = LibPQ.PostgresEncodable
public typealias PostgresDecodable = LibPQ.PostgresDecodable
public typealias PostgresRows = LibPQ.PostgresRows
public typealias PostgresRow = LibPQ.PostgresRow
public typealias PostgresCell = LibPQ.PostgresCell
public typealias PostgresColumn = LibPQ.PostgresColumn
