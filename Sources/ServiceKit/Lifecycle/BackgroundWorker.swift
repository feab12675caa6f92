/// Work a service runs beside its RPC server: the outbox relay, durable timers. The runner
/// starts workers after the server and stops them after the server drained, so handlers that
/// wrote outbox rows during the drain are still relayed by this process when it can.
public protocol BackgroundWorker: Sendable {
    /// For logs.
    var name: String { get }
    /// Starts the work and returns at once (spawn the work's own task or thread here).
    func start() throws
    /// Asks the work to end and returns when it has ended. Work left undone must be safe to
    /// resume in another replica (durable rows, never in-memory state).
    func stop() async
}
