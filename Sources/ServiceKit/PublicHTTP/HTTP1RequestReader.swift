import RPC

/// Frames HTTP/1.1 requests out of a connection's received bytes, sans I/O: the head by the
/// admin listener's strict parser (`HTTPRequestParser`), the body by Content-Length only.
///
/// Why hand-written and not llhttp: Debian 12 packages no llhttp C library (only node-llhttp's
/// TypeScript sources), so it would be vendored C plus a shim and a wrapper module for the
/// few things a JSON API needs. What we accept is deliberately narrow, which is what keeps a
/// small parser safe on the internet: one Content-Length (digits only, identical repeats),
/// no Transfer-Encoding on requests (501: the request-smuggling classics need it or a second
/// length), no obs-fold, printable ASCII heads within `maxHeadBytes`, bodies within
/// `maxBodyBytes`.
struct HTTP1RequestReader {
    var parser: HTTPRequestParser
    var maxBodyBytes: Int

    enum Outcome {
        case incomplete
        /// A head was read but its body is still arriving; `expectsContinue` asks for `100 Continue`.
        case awaitingBody(expectsContinue: Bool)
        case request(HTTPRequestHead, body: [UInt8], consumed: Int)
        /// Answer with this status and message, then close.
        case invalid(status: Int, message: String)
    }

    func read(_ buffer: [UInt8]) -> Outcome {
        switch parser.parse(buffer) {
        case .incomplete:
            return .incomplete
        case .invalid(let status):
            return .invalid(status: status, message: status == 431 ? "request head too large" : "malformed request")
        case .complete(let head, let consumed):
            if head.header("transfer-encoding") != nil {
                return .invalid(status: 501, message: "Transfer-Encoding is not supported on requests; send Content-Length")
            }
            let lengths = head.headers.filter { $0.name == "content-length" }.map(\.value)
            var length = 0
            if let first = lengths.first {
                guard lengths.allSatisfy({ $0 == first }), !first.isEmpty, first.count <= 12, first.allSatisfy(\.isASCIIDigit),
                      let parsed = Int(first) else {
                    return .invalid(status: 400, message: "malformed Content-Length")
                }
                length = parsed
            }
            guard length <= maxBodyBytes else {
                return .invalid(status: 413, message: "the request body is larger than \(maxBodyBytes) bytes")
            }
            guard buffer.count - consumed >= length else {
                let expects = head.header("expect")?.lowercased() == "100-continue"
                return .awaitingBody(expectsContinue: expects)
            }
            return .request(head, body: Array(buffer[consumed..<(consumed + length)]), consumed: consumed + length)
        }
    }
}

/// Status lines and framing of HTTP/1.1 responses.
enum HTTP1ResponseWriter {
    static func head(_ head: PlainHTTPResponseHead, contentLength: Int?, keepAlive: Bool) -> [UInt8] {
        var text = "HTTP/1.1 \(head.status) \(reason(head.status))\r\n"
        for (name, value) in head.headers where !["content-length", "transfer-encoding", "connection"].contains(name) {
            // Header values come from our own code; CR/LF are dropped anyway (no response splitting).
            text += name + ": " + value.filter { $0 != "\r" && $0 != "\n" } + "\r\n"
        }
        if let contentLength {
            text += "content-length: \(contentLength)\r\n"
        } else {
            text += "transfer-encoding: chunked\r\n"
        }
        if !keepAlive { text += "connection: close\r\n" }
        text += "\r\n"
        return Array(text.utf8)
    }

    static func chunk(_ bytes: [UInt8]) -> [UInt8] {
        guard !bytes.isEmpty else { return [] }
        return Array((String(bytes.count, radix: 16) + "\r\n").utf8) + bytes + [0x0D, 0x0A]
    }

    static let lastChunk = Array("0\r\n\r\n".utf8)

    static func reason(_ status: Int) -> String {
        switch status {
        case 100: "Continue"
        case 200: "OK"
        case 400: "Bad Request"
        case 401: "Unauthorized"
        case 403: "Forbidden"
        case 404: "Not Found"
        case 405: "Method Not Allowed"
        case 408: "Request Timeout"
        case 409: "Conflict"
        case 411: "Length Required"
        case 412: "Precondition Failed"
        case 413: "Content Too Large"
        case 415: "Unsupported Media Type"
        case 429: "Too Many Requests"
        case 431: "Request Header Fields Too Large"
        case 499: "Client Closed Request"
        case 500: "Internal Server Error"
        case 501: "Not Implemented"
        case 503: "Service Unavailable"
        case 504: "Gateway Timeout"
        case 505: "HTTP Version Not Supported"
        default: "Status"
        }
    }
}
