extension RPCError {
    /// What a caller is told for `error` thrown by a handler, as the server answers a call: an
    /// RPCError as it is, a cancellation CANCELLED, an `RPCErrorConvertible` its own status,
    /// anything else UNKNOWN without its internals. For work that answers for several requests
    /// in one call (an inbox item).
    public static func answering(_ error: any Error) -> RPCError {
        if let rpcError = error as? RPCError { return rpcError }
        if error is CancellationError { return RPCError(code: .cancelled, message: "the call was cancelled") }
        if let convertible = error as? any RPCErrorConvertible { return convertible.rpcError }
        return RPCError(code: .unknown, message: "the handler failed unexpectedly")
    }
}
