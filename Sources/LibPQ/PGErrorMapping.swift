import CLibPQ

// The choke point: every libpq failure becomes a PostgresError here and nowhere else.

extension PostgresError {
    /// An error result from the server (PGRES_FATAL_ERROR), with its diagnostic fields.
    /// Shutdown/crash states are reported as connection-level.
    static func fromResult(_ result: OpaquePointer, connectionBroken: Bool) -> PostgresError {
        func field(_ code: UInt8) -> String? {
            guard let pointer = PQresultErrorField(result, Int32(code)) else { return nil }
            return String(cString: pointer)
        }
        let sqlState = field(UInt8(ascii: "C"))
        let primary = field(UInt8(ascii: "M"))
            ?? PQresultErrorMessage(result).map { String(cString: $0) }.map(trimmed)
            ?? "unknown server error"
        let kind: Kind = connectionBroken || isConnectionLevelState(sqlState) ? .connection : .server
        return PostgresError(kind, primary,
                             sqlState: sqlState,
                             severity: field(UInt8(ascii: "V")) ?? field(UInt8(ascii: "S")),
                             detail: field(UInt8(ascii: "D")),
                             hint: field(UInt8(ascii: "H")),
                             constraint: field(UInt8(ascii: "n")),
                             table: field(UInt8(ascii: "t")))
    }

    /// A failure libpq reports on the connection itself (connect refused, socket closed...).
    static func fromConnection(_ connection: OpaquePointer?, kind: Kind = .connection, context: String) -> PostgresError {
        let libpqMessage = connection.flatMap { PQerrorMessage($0) }.map { trimmed(String(cString: $0)) } ?? ""
        let message = libpqMessage.isEmpty ? context : "\(context): \(libpqMessage)"
        return PostgresError(kind, message)
    }

    private static func trimmed(_ text: String) -> String {
        var text = Substring(text)
        while let last = text.last, last.isWhitespace { text = text.dropLast() }
        return String(text)
    }
}
