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

extension ConnInfo {
    /// A keyword=value connection string; every value is quoted so spaces, quotes and
    /// backslashes in passwords survive.
    public static func build(_ pairs: [(String, String)]) -> String {
        pairs.map { keyword, value in
            var quoted = "'"
            for character in value {
                if character == "'" || character == "\\" { quoted.append("\\") }
                quoted.append(character)
            }
            return "\(keyword)=\(quoted)'"
        }.joined(separator: " ")
    }

    /// The same connection string with some parameters replaced (e.g. user and password).
    public static func replacing(_ connectionString: String, with overrides: [String: String]) throws(PostgresError) -> String {
        var pairs = try parse(connectionString).filter { overrides[$0.0] == nil }
        pairs.append(contentsOf: overrides.sorted { $0.key < $1.key }.map { ($0.key, $0.value) })
        return build(pairs)
    }
}
