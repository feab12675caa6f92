/// The call a handler task is serving, bound for the task's whole life, so code far below the
/// handler (a logger, a client call to a peer) can read what interceptors learned about the
/// call (its trace) without every function passing the context along. Nil outside a handler.
public enum CurrentCall {
    @TaskLocal public static var context: ServerContext?
}
