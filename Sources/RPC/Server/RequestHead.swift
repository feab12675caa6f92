import HTTP2
import NetIO

/// The parts of a request's headers the server acts on, or why the request is refused.
struct RequestHead {
    var path: ArraySlice<UInt8>
    var timeoutNanoseconds: UInt64?

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
        var knownValid = ValidBase64Texts()
        return parse(block, knownValidBinary: &knownValid)
    }

    /// As above; binary values in `knownValidBinary` (the connection's) are not checked again.
    static func parse(_ block: HTTP2HeaderBlock, knownValidBinary: inout ValidBase64Texts) -> Result<RequestHead, Rejection> {
        let fields = KnownFields(block)
        guard let method = fields.method, ByteStrings.equal(method, "POST") else {
            return .failure(Rejection(httpStatus: "405", code: .internalError,
                                      message: "gRPC requires the POST method"))
        }
        guard let contentType = fields.contentType, isGRPCContentType(contentType) else {
            return .failure(Rejection(httpStatus: "415", code: .internalError,
                                      message: "invalid gRPC request content-type; expected application/grpc"))
        }
        guard let te = fields.te, ByteStrings.equal(te, "trailers") else {
            return .failure(Rejection(httpStatus: "400", code: .internalError,
                                      message: "missing 'te: trailers' header required by gRPC"))
        }
        if let encoding = fields.encoding, !ByteStrings.equal(encoding, "identity") {
            let name = String(decoding: encoding, as: UTF8.self)
            return .failure(Rejection(code: .unimplemented,
                                      message: "grpc-encoding '\(name)' is not supported; use identity",
                                      extraHeaders: [("grpc-accept-encoding", "identity")]))
        }
        var timeout: UInt64?
        if let raw = fields.timeout {
            guard let parsed = GRPCTimeout.parse(raw) else {
                return .failure(Rejection(code: .internalError,
                                          message: "malformed grpc-timeout '\(String(decoding: raw, as: UTF8.self))'"))
            }
            timeout = parsed
        }
        guard let pathBytes = fields.path else {
            return .failure(Rejection(code: .unimplemented, message: "missing :path"))
        }
        // Metadata is decoded lazily, but a broken binary value must be refused now.
        if fields.hasBinaryMetadata, let bad = MetadataCodec.firstInvalidBinaryField(in: block, knownValid: &knownValidBinary) {
            return .failure(Rejection(code: .internalError, message: "malformed binary metadata: \(bad) is not base64"))
        }
        return .success(RequestHead(path: pathBytes, timeoutNanoseconds: timeout))
    }

    /// One pass over the block, picking out the fields the server acts on.
    private struct KnownFields {
        var method, path, contentType, te, encoding, timeout: ArraySlice<UInt8>?
        var hasBinaryMetadata = false

        init(_ block: HTTP2HeaderBlock) {
            for index in 0..<block.count {
                switch block.nameLength(at: index) {
                case 2 where block.matches(index, "te"): te = block.value(at: index)
                case 5 where block.matches(index, ":path"): path = block.value(at: index)
                case 7 where block.matches(index, ":method"): method = block.value(at: index)
                case 12 where block.matches(index, "content-type"): contentType = block.value(at: index)
                case 12 where block.matches(index, "grpc-timeout"): timeout = block.value(at: index)
                case 13 where block.matches(index, "grpc-encoding"): encoding = block.value(at: index)
                default:
                    if !hasBinaryMetadata && block.hasBinarySuffix(at: index) && !MetadataCodec.isReserved(block, index) {
                        hasBinaryMetadata = true
                    }
                }
            }
        }
    }

    private static let grpcContentType = Array("application/grpc".utf8)

    /// `application/grpc`, optionally followed by `+format` or `;parameters`.
    private static func isGRPCContentType(_ value: ArraySlice<UInt8>) -> Bool {
        let prefix = grpcContentType
        guard value.count >= prefix.count else { return false }
        let start = value.startIndex
        for offset in 0..<prefix.count where value[start + offset] != prefix[offset] { return false }
        if value.count == prefix.count { return true }
        let next = value[start + prefix.count]
        return next == UInt8(ascii: "+") || next == UInt8(ascii: ";")
    }
}
