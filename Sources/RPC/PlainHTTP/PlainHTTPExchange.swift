/// Plain (non-gRPC) HTTP requests the process answers beside gRPC: the gateway's partner
/// JSON API. One shape for both transports that carry them, so the handler does not care:
/// HTTP/2 streams on the gRPC port whose content-type is not `application/grpc`
/// (`ServerConnection+PlainHTTP`), and HTTP/1.1 connections of the public HTTP listener
/// (ServiceKit `PublicHTTPListener`). Either transport may sit on TLS; the handler only sees
/// the request and a responder.
public struct PlainHTTPRequest: Sendable {
    public var method: String
    /// The request target as sent: path and query (`/v1/orders?pageSize=5`).
    public var target: String
    /// Lower-cased names, in arrival order.
    public var headers: [(name: String, value: String)]
    public var body: [UInt8]
    /// "HTTP/1.1" or "HTTP/2".
    public var protocolName: String
    public var peer: String
    /// The TLS the request arrived over (its client certificate, if one was verified); nil
    /// without TLS.
    public var tls: TLSConnectionInfo?

    public init(method: String, target: String, headers: [(name: String, value: String)], body: [UInt8],
                protocolName: String, peer: String, tls: TLSConnectionInfo? = nil) {
        self.method = method
        self.target = target
        self.headers = headers
        self.body = body
        self.protocolName = protocolName
        self.peer = peer
        self.tls = tls
    }

    public func header(_ name: String) -> String? { headers.first { $0.name == name }?.value }

    /// The path without the query.
    public var path: String { String(target.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)[0]) }

    /// Query parameters, percent-decoded (`+` as space), in order.
    public var query: [(name: String, value: String)] {
        let parts = target.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)
        guard parts.count == 2 else { return [] }
        return parts[1].split(separator: "&").map { pair in
            let halves = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let decode = { (text: Substring) in PercentEncoding.decode(text.replacingPlus().utf8) }
            return (decode(halves[0]), halves.count == 2 ? decode(halves[1]) : "")
        }
    }
}

extension Substring {
    fileprivate func replacingPlus() -> String { String(map { $0 == "+" ? " " : $0 }) }
}

/// A response head: status and headers (lower-case names; the transport adds framing headers
/// such as content-length itself).
public struct PlainHTTPResponseHead: Sendable {
    public var status: Int
    public var headers: [(name: String, value: String)]

    public init(status: Int, headers: [(name: String, value: String)] = []) {
        self.status = status
        self.headers = headers
    }
}

/// The client's side went away (or the server is stopping): a streaming response should end.
public struct PlainHTTPClientGone: Error {
    public init() {}
}

/// How a handler answers. Either `respond` once, or `startStream` then `send` and `finish`
/// (a long-lived response such as an event feed; `send` waits while the client reads slowly,
/// so a slow reader holds back its own feed, not the server's memory).
public protocol PlainHTTPResponder: Sendable {
    func respond(_ head: PlainHTTPResponseHead, body: [UInt8]) async
    func startStream(_ head: PlainHTTPResponseHead) async throws
    func send(_ bytes: [UInt8]) async throws
    func finish() async
    /// True once the client is gone or the server shuts down.
    var isClosed: Bool { get async }
}

/// Answers one plain HTTP request. Runs as a task on the connection's event loop.
public typealias PlainHTTPHandler = @Sendable (PlainHTTPRequest, any PlainHTTPResponder) async -> Void

/// Bounds for plain HTTP requests, the same for both transports (they face the internet).
public struct PlainHTTPLimits: Sendable {
    public var maxBodyBytes = 1 << 20
    public init() {}
}
