/// Observes and guards every call of a server: authentication, logging, metrics. Hooks run on
/// the call's loop thread, so they must not block.
public protocol ServerInterceptor: Sendable {
    /// Runs before the handler. Throwing an `RPCError` refuses the call with its status, and
    /// the handler never runs; values stored in `context` are visible to the handler.
    func callStarted(_ context: ServerContext) throws
    /// Runs once when the call ends, however it ends.
    func callFinished(_ context: ServerContext, status: StatusCode, duration: Duration)
}

extension ServerInterceptor {
    public func callStarted(_ context: ServerContext) throws {}
    public func callFinished(_ context: ServerContext, status: StatusCode, duration: Duration) {}
}

/// A typed slot in `ServerContext`, for values interceptors hand to handlers (the verified
/// actor, a request id).
public protocol ServerContextKey {
    associatedtype Value: Sendable
}
