import HTTP2

/// Reads a call's status from trailers, or from a plain HTTP status when a proxy or a
/// non-gRPC server answered (the mapping of gRPC's http-grpc-status-mapping document).
enum ResponseStatus {
    static func fromTrailers(_ block: HTTP2HeaderBlock) -> RPCError {
        guard let raw = block.value(named: "grpc-status"),
              let number = Int(String(decoding: raw, as: UTF8.self)) else {
            return RPCError(code: .internalError, message: "the response carried no grpc-status")
        }
        let code = StatusCode(rawValue: number) ?? .unknown
        let message = block.value(named: "grpc-message").map { PercentEncoding.decode($0) } ?? ""
        let details = block.value(named: "grpc-status-details-bin").flatMap { Base64.decode($0) }
        return RPCError(code: code, message: message, details: details)
    }

    static func fromHTTPStatus(_ status: ArraySlice<UInt8>) -> RPCError {
        let text = String(decoding: status, as: UTF8.self)
        let code: StatusCode
        switch text {
        case "400": code = .internalError
        case "401": code = .unauthenticated
        case "403": code = .permissionDenied
        case "404": code = .unimplemented
        case "429", "502", "503", "504": code = .unavailable
        default: code = .unknown
        }
        return RPCError(code: code, message: "HTTP status \(text) from the server")
    }
}
