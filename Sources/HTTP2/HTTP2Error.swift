import CNGHTTP2

/// An nghttp2 failure, translated once at the wrapper's choke point.
public struct HTTP2Error: Error, Sendable, Equatable, CustomStringConvertible {
    public let code: Int32
    public let operation: String

    init(_ operation: String, code: Int32) {
        self.operation = operation
        self.code = code
    }

    /// The peer flooded us (settings, pings, resets) or sent frames nghttp2 treats as fatal.
    public var isPeerMisbehaving: Bool {
        code == NGHTTP2_ERR_FLOODED.rawValue || code == NGHTTP2_ERR_BAD_CLIENT_MAGIC.rawValue
            || code == NGHTTP2_ERR_PROTO.rawValue
    }

    /// The peer made nghttp2 queue more control-frame answers (SETTINGS or PING ACKs, RST_STREAMs)
    /// than it allows without reading them, or sent more CONTINUATION frames than one header
    /// block may have: a deliberate flood, not a confused client (a wrong preface, say an
    /// HTTP/1.1 health check on the gRPC port, is not one).
    public var isFlood: Bool {
        code == NGHTTP2_ERR_FLOODED.rawValue || code == Self.tooManyContinuations
    }

    /// NGHTTP2_ERR_TOO_MANY_CONTINUATIONS (CVE-2024-27316's fix: nghttp2 1.61, and Debian 12's
    /// 1.52 security update) by value, so headers from before the fix still compile.
    static let tooManyContinuations: Int32 = -905

    public var description: String {
        let text = nghttp2_strerror(code).map { String(cString: $0) } ?? "error \(code)"
        return "\(operation): \(text)"
    }

    /// Turns an nghttp2 return value into an error when it is negative.
    static func check(_ result: Int32, _ operation: String) throws(HTTP2Error) {
        if result < 0 { throw HTTP2Error(operation, code: result) }
    }
}
