import Messages
import ProtoCodec

extension RPCError {
    /// An error whose `grpc-status-details-bin` is a `google.rpc.Status` with the same code and
    /// message and `details` packed as `google.protobuf.Any` (BadRequest, ErrorInfo, RetryInfo…).
    public static func withDetails(_ code: StatusCode, _ message: String, _ details: [any ProtoMessage]) -> RPCError {
        var status = Google_Rpc_Status()
        status.code = Int32(code.rawValue)
        status.message = message
        status.details = details.map { detail in
            var any = Google_Protobuf_Any()
            any.typeUrl = "type.googleapis.com/" + type(of: detail).protoMessageName
            any.value = detail.serializedBytes()
            return any
        }
        return RPCError(code: code, message: message, details: status.serializedBytes())
    }

    /// The first detail of type `Detail` in this error's `google.rpc.Status`, if any.
    public func detail<Detail: ProtoMessage>(_ type: Detail.Type) -> Detail? {
        guard let details, let status = try? Google_Rpc_Status(serializedBytes: details) else { return nil }
        for any in status.details where any.typeUrl.hasSuffix("/" + Detail.protoMessageName) {
            if let decoded = try? Detail(serializedBytes: any.value) { return decoded }
        }
        return nil
    }
}
