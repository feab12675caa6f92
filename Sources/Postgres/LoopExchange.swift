import LibPQ
import NetIO

/// One pipeline exchanged on the caller's own event loop: sent from the loop thread, its
/// answer read when that loop sees the socket readable, and the caller resumed right there.
/// So a query from an RPC handler costs no thread hand-off either way (with a worker thread
/// per connection it cost three wake-ups: the worker, its poll, the handler's loop).
/// Everything here runs on `loop`'s thread.
final class LoopExchange: TimerTarget {
    typealias Completion = (Result<[PipelineOutcome], PostgresError>) -> Void

    private let loop: EventLoop
    private let connection: PGConnection
    private let watch: DatabaseSocketWatch
    private var reading: PipelineReading
    private var flushed = false
    private var timer: TimerID?
    private var completion: Completion?

    private init(loop: EventLoop, connection: PGConnection, watch: DatabaseSocketWatch, statements: Int,
                 completion: @escaping Completion) {
        self.loop = loop
        self.connection = connection
        self.watch = watch
        self.reading = PipelineReading(statements: statements)
        self.completion = completion
    }

    /// Sends `steps` and waits on `loop` (through the session's `watch` of that loop) for their
    /// outcomes; `completion` runs once, on the loop: with the outcomes, or with a connection
    /// failure or the deadline (after which the connection is in an unknown state and must be
    /// dropped).
    static func start(on loop: EventLoop, connection: PGConnection, watch: DatabaseSocketWatch,
                      steps: [PipelineStep], parameters: PipelineParameters, statements: Int,
                      deadline: ContinuousClock.Instant, completion: @escaping Completion) {
        let exchange = LoopExchange(loop: loop, connection: connection, watch: watch, statements: statements,
                                    completion: completion)
        do {
            exchange.flushed = try connection.sendPipeline(steps, parameters: parameters)
            watch.exchange = exchange
            try watch.arm(writable: !exchange.flushed)
        } catch let error as PostgresError {
            exchange.complete(.failure(error))
            return
        } catch {
            exchange.complete(.failure(PostgresError(.connection, "cannot wait for the database: \(error)")))
            return
        }
        let remaining = deadline - ContinuousClock.now
        // The exchange itself is the target, held strongly: the loop drops it when the timer
        // fires or is cancelled (`complete`), so no cycle outlives the exchange (a weak capture
        // gave every exchange a side table, a closure an allocation).
        exchange.timer = loop.schedule(at: MonotonicTime.now().adding(max(remaining, .zero)), target: exchange)
    }

    func timerFired() {
        timer = nil
        complete(.failure(PostgresError(.deadlineExceeded, "deadline exceeded waiting for the database")))
    }

    /// The socket was ready (the watch is disarmed again until `arm`).
    fileprivate func handleIO(readable: Bool, writable: Bool, hangup: Bool) {
        guard completion != nil else { return }
        do {
            if !flushed {
                flushed = try connection.flushOutput()
            }
            if try connection.readPipeline(&reading) {
                complete(.success(reading.outcomes))
            } else if hangup {
                throw PostgresError(.connection, "the database closed the connection")
            } else {
                try watch.arm(writable: !flushed)
            }
        } catch let error as PostgresError {
            complete(.failure(error))
        } catch {
            complete(.failure(PostgresError(.connection, "\(error)")))
        }
    }

    private func complete(_ result: Result<[PipelineOutcome], PostgresError>) {
        guard let completion else { return }
        self.completion = nil
        // The watch stays registered, disarmed or (after a deadline) armed for an event it
        // will ignore: a deadline drops the connection, which ends the registration.
        if watch.exchange === self { watch.exchange = nil }
        if let timer {
            loop.cancelTimer(timer)
            self.timer = nil
        }
        completion(result)
    }
}

/// A session's socket registered with one event loop, kept from one exchange to the next:
/// one-shot, so it is armed per wait (one epoll_ctl) instead of added and removed per
/// exchange (two), and between exchanges it never wakes the loop, while the connection's
/// worker thread may use the socket. The session keeps one per loop it exchanged on; closing
/// the connection ends the registrations.
final class DatabaseSocketWatch: IOHandler {
    let loop: EventLoop
    let fd: Int32
    /// The exchange waiting on the socket, if any (loop thread only).
    fileprivate var exchange: LoopExchange?

    init(loop: EventLoop, fd: Int32) {
        self.loop = loop
        self.fd = fd
    }

    /// Asks the loop for the socket's next readiness (readable, and writable while output is
    /// still pending).
    fileprivate func arm(writable: Bool) throws(NetIOError) {
        if loop.isRegistered(fd: fd, handler: self) {
            try loop.rearm(fd: fd, readable: true, writable: writable)
        } else {
            try loop.registerOneShot(fd: fd, handler: self, readable: true, writable: writable)
        }
    }

    func handleIO(readable: Bool, writable: Bool, hangup: Bool) {
        // An event after its exchange ended (a deadline struck first): nothing waits for it.
        exchange?.handleIO(readable: readable, writable: writable, hangup: hangup)
    }
}
