/// Observes and guards every call of a server: authentication, logging, metrics. Hooks run on
/// the call's loop thread, so they must not block.
public protocol ServerInterceptor: Sendable {
    /// Runs before the handler. Throwing an `RPCError` refuses the call with its status, and
    /// the handler never runs; values stored in `context` are visible to the handler.
    func callStarted(_ context: ServerContext) throws
    /// Runs once when the call ends, however it ends.
    func callFinished(_ context: ServerContext, status: StatusCode, duration: Duration)
    /// Runs when a handler threw something other than an `RPCError` or a cancellation (a
    /// database error, a bug), before `callFinished`: the caller gets only a generic status, so
    /// this is where the error itself can be logged.
    func handlerFailed(_ context: ServerContext, error: any Error)
}

extension ServerInterceptor {
    public func callStarted(_ context: ServerContext) throws {}
    public func callFinished(_ context: ServerContext, status: StatusCode, duration: Duration) {}
    public func handlerFailed(_ context: ServerContext, error: any Error) {}
}

/// A typed slot in `ServerContext`, for values interceptors hand to handlers (the verified
/// actor, a request id).
public protocol ServerContextKey {
    associatedtype Value: Sendable
}
