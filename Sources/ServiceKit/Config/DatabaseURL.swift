/// The two spellings libpq accepts for DATABASE_URL, checked only as far as needed to catch
/// typos early, and rewritten with the password hidden for display.
enum DatabaseURL {
    static func isPlausible(_ value: String) -> Bool {
        if isURI(value) {
            let rest = value.drop(while: { $0 != ":" }).dropFirst(3)
            return !rest.isEmpty && !value.contains(where: \.isWhitespace)
        }
        // Keyword/value form: "host=db dbname=xsc user=orders".
        return value.contains("=")
    }

    static func isURI(_ value: String) -> Bool {
        value.hasPrefix("postgres://") || value.hasPrefix("postgresql://")
    }

    /// `postgres://user:secret@host/db?password=x` -> `postgres://user:****@host/db?password=****`;
    /// `host=db password=secret` -> `host=db password=****`.
    static func redacted(_ value: String) -> String {
        isURI(value) ? redactURI(value) : redactKeywords(value)
    }

    private static func redactURI(_ value: String) -> String {
        guard let schemeEnd = value.range(of: "://") else { return value }
        let scheme = value[..<schemeEnd.upperBound]
        var rest = String(value[schemeEnd.upperBound...])
        // The userinfo ends at the last "@" before the path: passwords may contain "@" unescaped.
        let authorityEnd = rest.firstIndex(where: { $0 == "/" || $0 == "?" }) ?? rest.endIndex
        if let at = rest[..<authorityEnd].lastIndex(of: "@") {
            let userinfo = rest[..<at]
            if let colon = userinfo.firstIndex(of: ":") {
                rest = String(userinfo[..<colon]) + ":****" + rest[at...]
            }
        }
        if let query = rest.firstIndex(of: "?") {
            let parameters = rest[rest.index(after: query)...].split(separator: "&", omittingEmptySubsequences: false)
            let hidden = parameters.map { parameter -> String in
                let name = parameter.split(separator: "=", maxSplits: 1).first.map(String.init) ?? ""
                return name.lowercased() == "password" ? "\(name)=****" : String(parameter)
            }
            rest = String(rest[...query]) + hidden.joined(separator: "&")
        }
        return scheme + rest
    }

    /// Splits at spaces outside single quotes, as libpq does (`password='a b'` is one pair).
    private static func redactKeywords(_ value: String) -> String {
        var pairs: [String] = []
        var current = ""
        var quoted = false
        var escaped = false
        for character in value {
            if escaped {
                escaped = false
            } else if character == "\\" {
                escaped = true
            } else if character == "'" {
                quoted.toggle()
            } else if character == " " && !quoted {
                pairs.append(current)
                current = ""
                continue
            }
            current.append(character)
        }
        pairs.append(current)
        return pairs.map { pair -> String in
            let name = pair.split(separator: "=", maxSplits: 1).first.map(String.init) ?? ""
            return name.trimmingSpaces.lowercased() == "password" ? "\(name)=****" : pair
        }.joined(separator: " ")
    }
}

extension String {
    var trimmingSpaces: String {
        String(drop(while: { $0 == " " }).reversed().drop(while: { $0 == " " }).reversed())
    }
}
