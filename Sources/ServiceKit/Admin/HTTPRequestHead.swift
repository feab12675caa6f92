/// The request line and headers of one HTTP/1.x request, parsed from raw bytes. The admin
/// listener needs no bodies, so a request that announces one is answered and its connection
/// closed instead of parsing the body (no request smuggling through a body we misread).
struct HTTPRequestHead: Equatable {
    var method: String
    /// The path without its query string.
    var path: String
    /// The request target as sent (path and query).
    var target: String = ""
    var minorVersion: Int
    /// Lower-cased names, in arrival order.
    var headers: [(name: String, value: String)]

    static func == (lhs: HTTPRequestHead, rhs: HTTPRequestHead) -> Bool {
        lhs.method == rhs.method && lhs.path == rhs.path && lhs.target == rhs.target && lhs.minorVersion == rhs.minorVersion
            && lhs.headers.elementsEqual(rhs.headers) { $0.name == $1.name && $0.value == $1.value }
    }

    func header(_ name: String) -> String? {
        headers.first { $0.name == name }?.value
    }

    /// HTTP/1.1 keeps the connection by default, HTTP/1.0 only when asked.
    var wantsKeepAlive: Bool {
        let connection = header("connection")?.lowercased() ?? ""
        if connection.contains("close") { return false }
        return minorVersion >= 1 || connection.contains("keep-alive")
    }

    var announcesBody: Bool {
        if header("transfer-encoding") != nil { return true }
        guard let length = header("content-length") else { return false }
        return length != "0"
    }
}

enum HTTPParseResult: Equatable {
    /// The head is not complete yet.
    case incomplete
    /// A head, and how many bytes of the buffer it used.
    case complete(HTTPRequestHead, consumed: Int)
    /// Unparseable or over a limit: answer with this status and close.
    case invalid(status: Int)
}

/// Parses one request head at the start of a buffer, within size limits.
struct HTTPRequestParser {
    var maxHeadBytes = 8 * 1024
    var maxHeaders = 64

    func parse(_ buffer: [UInt8]) -> HTTPParseResult {
        guard let end = HTTPRequestParser.headEnd(in: buffer, limit: maxHeadBytes) else {
            return buffer.count > maxHeadBytes ? .invalid(status: 431) : .incomplete
        }
        // Only printable ASCII, tabs and CR LF may appear in a head we accept.
        guard buffer[..<end].allSatisfy({ ($0 >= 0x20 && $0 < 0x7F) || $0 == 0x09 || $0 == 0x0D || $0 == 0x0A }) else {
            return .invalid(status: 400)
        }
        let text = String(decoding: buffer[..<end], as: UTF8.self)
        var lines = text.split(separator: "\r\n", omittingEmptySubsequences: false)
        guard !lines.isEmpty else { return .invalid(status: 400) }
        let requestLine = lines.removeFirst().split(separator: " ", omittingEmptySubsequences: false)
        guard requestLine.count == 3, !requestLine[0].isEmpty, requestLine[0].allSatisfy(\.isUppercase),
              requestLine[1].hasPrefix("/") || requestLine[1] == "*" else {
            return .invalid(status: 400)
        }
        let minorVersion: Int
        switch requestLine[2] {
        case "HTTP/1.1": minorVersion = 1
        case "HTTP/1.0": minorVersion = 0
        default: return requestLine[2].hasPrefix("HTTP/") ? .invalid(status: 505) : .invalid(status: 400)
        }
        var headers: [(name: String, value: String)] = []
        for line in lines where !line.isEmpty {
            guard headers.count < maxHeaders else { return .invalid(status: 431) }
            guard let colon = line.firstIndex(of: ":"), colon != line.startIndex,
                  !line[..<colon].contains(where: { $0 == " " || $0 == "\t" }) else {
                return .invalid(status: 400)
            }
            let value = line[line.index(after: colon)...].trimmingCharacters(in: [" ", "\t"])
            headers.append((line[..<colon].lowercased(), value))
        }
        let path = requestLine[1].split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
        let head = HTTPRequestHead(method: String(requestLine[0]), path: String(path), target: String(requestLine[1]),
                                   minorVersion: minorVersion, headers: headers)
        return .complete(head, consumed: end + 4)
    }

    /// Index of the CR LF CR LF that ends the head, searched in the first `limit` bytes.
    private static func headEnd(in buffer: [UInt8], limit: Int) -> Int? {
        let searchEnd = min(buffer.count, limit + 4)
        guard searchEnd >= 4 else { return nil }
        var index = 0
        while index + 3 < searchEnd {
            if buffer[index] == 0x0D && buffer[index + 1] == 0x0A && buffer[index + 2] == 0x0D && buffer[index + 3] == 0x0A {
                return index
            }
            index += 1
        }
        return nil
    }
}

extension Substring {
    func trimmingCharacters(in set: Set<Character>) -> String {
        String(drop(while: set.contains).reversed().drop(while: set.contains).reversed())
    }
}
