import HTTP2

/// The parts of a request's headers the server acts on, or why the request is refused.
struct RequestHead {
    var path: String
    var timeoutNanoseconds: UInt64?
    var metadata: Metadata

    /// A refusal answered as a trailers-only response.
    struct Rejection: Error {
        var httpStatus: String = "200"
        var code: StatusCode
        var message: String
        var extraHeaders: [(String, String)] = []
    }

    /// Checks a request header block in the order the gRPC HTTP/2 protocol implies: HTTP-level
    /// errors first (method, content type), then gRPC headers; routing happens afterwards.
    static func parse(_ block: HTTP2HeaderBlock) -> Result<RequestHead, Rejection> {
        guard let method = block.value(named: ":method"), method.elementsEqual("POST".utf8) else {
            return .failure(Rejection(httpStatus: "405", code: .internalError,
                                      message: "gRPC requires the POST method"))
        }
        guard let contentType = block.value(named: "content-type"), isGRPCContentType(contentType) else {
            return .failure(Rejection(httpStatus: "415", code: .internalError,
                                      message: "invalid gRPC request content-type; expected application/grpc"))
        }
        guard let te = block.value(named: "te"), te.elementsEqual("trailers".utf8) else {
            return .failure(Rejection(httpStatus: "400", code: .internalError,
                                      message: "missing 'te: trailers' header required by gRPC"))
        }
        if let encoding = block.value(named: "grpc-encoding"), !encoding.elementsEqual("identity".utf8) {
            let name = String(decoding: encoding, as: UTF8.self)
            return .failure(Rejection(code: .unimplemented,
                                      message: "grpc-encoding '\(name)' is not supported; use identity",
                                      extraHeaders: [("grpc-accept-encoding", "identity")]))
        }
        var timeout: UInt64?
        if let raw = block.value(named: "grpc-timeout") {
            guard let parsed = GRPCTimeout.parse(raw) else {
                return .failure(Rejection(code: .internalError,
                                          message: "malformed grpc-timeout '\(String(decoding: raw, as: UTF8.self))'"))
            }
            timeout = parsed
        }
        guard let pathBytes = block.value(named: ":path") else {
            return .failure(Rejection(code: .unimplemented, message: "missing :path"))
        }
        let metadata: Metadata
        do {
            metadata = try MetadataCodec.metadata(from: block)
        } catch {
            return .failure(Rejection(code: .internalError, message: "malformed binary metadata: \(error)"))
        }
        return .success(RequestHead(path: String(decoding: pathBytes, as: UTF8.self),
                                    timeoutNanoseconds: timeout, metadata: metadata))
    }

    private static func isGRPCContentType(_ value: ArraySlice<UInt8>) -> Bool {
        let prefix = "application/grpc".utf8
        guard value.count >= prefix.count, value.prefix(prefix.count).elementsEqual(prefix) else { return false }
        if value.count == prefix.count { return true }
        let next = value[value.startIndex + prefix.count]
        return next == UInt8(ascii: "+") || next == UInt8(ascii: ";")
    }
}
