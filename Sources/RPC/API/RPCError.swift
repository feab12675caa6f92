/// The error a handler throws, or a client call ends with, carrying a gRPC status.
///
/// `details` is the encoded `google.rpc.Status` sent as `grpc-status-details-bin`; when it is
/// set, its code and message must equal `code` and `message` (the server checks this).
public struct RPCError: Error, Sendable, Equatable, CustomStringConvertible {
    public var code: StatusCode
    public var message: String
    public var details: [UInt8]?
    public var trailers: Metadata

    public init(code: StatusCode, message: String, details: [UInt8]? = nil, trailers: Metadata = Metadata()) {
        self.code = code
        self.message = message
        self.details = details
        self.trailers = trailers
    }

    public var description: String { "\(code): \(message)" }
}

/// An error type that knows its gRPC status. A handler may throw it as is: the server answers
/// with `rpcError` instead of UNKNOWN (other unexpected errors never reach the caller).
public protocol RPCErrorConvertible: Error {
    var rpcError: RPCError { get }
}
