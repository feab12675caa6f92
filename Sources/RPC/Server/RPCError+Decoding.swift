import Messages
import ProtoCodec

extension RPCError {
    /// The answer to a request message that did not decode. Broken encoding is INTERNAL, as
    /// gRPC's implementations answer it; a well-formed message whose string field is not valid
    /// UTF-8 or holds a NUL is the caller's data, so INVALID_ARGUMENT naming the field.
    public static func undecodableRequest(_ error: ProtoDecodeError, messageName: String) -> RPCError {
        guard let field = error.invalidStringField else {
            return RPCError(code: .internalError, message: "could not decode the request as \(messageName)")
        }
        var violation = Google_Rpc_BadRequest.FieldViolation()
        violation.field = field
        violation.description = String(error.message.dropFirst(field.count + 2))
        var badRequest = Google_Rpc_BadRequest()
        badRequest.fieldViolations = [violation]
        return RPCError.withDetails(.invalidArgument, "\(error.message): proto3 strings must be UTF-8 without NUL", [badRequest])
    }
}
