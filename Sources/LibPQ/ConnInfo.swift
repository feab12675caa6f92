import CLibPQ

/// libpq connection strings (URL or keyword=value), parsed by libpq itself so every form
/// libpq accepts is understood the same way here.
public enum ConnInfo {
    /// The parameters a connection string sets, in libpq's keyword order.
    public static func parse(_ connectionString: String) throws(PostgresError) -> [(String, String)] {
        var errorMessage: UnsafeMutablePointer<CChar>?
        guard let options = PQconninfoParse(connectionString, &errorMessage) else {
            let reason = errorMessage.map { String(cString: $0) } ?? "out of memory"
            if let errorMessage { PQfreemem(errorMessage) }
            throw PostgresError(.usage, "invalid connection string: \(reason)")
        }
        defer { PQconninfoFree(options) }
        var pairs: [(String, String)] = []
        var cursor = options
        while let keyword = cursor.pointee.keyword {
            if let value = cursor.pointee.val {
                pairs.append((String(cString: keyword), String(cString: value)))
            }
            cursor = cursor.advanced(by: 1)
        }
        return pairs
    }
}
