import LibPQ
import NetIO

/// One pipeline exchanged on the caller's own event loop: sent from the loop thread, its
/// answer read when that loop sees the socket readable, and the caller resumed right there.
/// So a query from an RPC handler costs no thread hand-off either way (with a worker thread
/// per connection it cost three wake-ups: the worker, its poll, the handler's loop).
/// Everything here runs on `loop`'s thread.
final class LoopExchange: IOHandler {
    typealias Completion = (Result<[PipelineOutcome], PostgresError>) -> Void

    private let loop: EventLoop
    private let connection: PGConnection
    private let fd: Int32
    private var reading: PipelineReading
    private var flushed = false
    private var timer: TimerID?
    private var completion: Completion?

    private init(loop: EventLoop, connection: PGConnection, statements: Int, completion: @escaping Completion) {
        self.loop = loop
        self.connection = connection
        self.fd = connection.socketDescriptor
        self.reading = PipelineReading(statements: statements)
        self.completion = completion
    }

    /// Sends `steps` and waits on `loop` for their outcomes; `completion` runs once, on the
    /// loop: with the outcomes, or with a connection failure or the deadline (after which
    /// the connection is in an unknown state and must be dropped).
    static func start(on loop: EventLoop, connection: PGConnection, steps: [PipelineStep], parameters: PipelineParameters,
                      statements: Int,
                      deadline: ContinuousClock.Instant, completion: @escaping Completion) {
        let exchange = LoopExchange(loop: loop, connection: connection, statements: statements, completion: completion)
        do {
            exchange.flushed = try connection.sendPipeline(steps, parameters: parameters)
            try loop.register(fd: exchange.fd, handler: exchange, readable: true, writable: !exchange.flushed)
        } catch let error as PostgresError {
            exchange.complete(.failure(error), registered: false)
            return
        } catch {
            exchange.complete(.failure(PostgresError(.connection, "cannot wait for the database: \(error)")), registered: false)
            return
        }
        let remaining = deadline - ContinuousClock.now
        exchange.timer = loop.schedule(at: MonotonicTime.now().adding(max(remaining, .zero))) { [weak exchange] in
            exchange?.timer = nil
            exchange?.complete(.failure(PostgresError(.deadlineExceeded, "deadline exceeded waiting for the database")),
                               registered: true)
        }
    }

    func handleIO(readable: Bool, writable: Bool, hangup: Bool) {
        guard completion != nil else { return }
        do {
            if !flushed {
                flushed = try connection.flushOutput()
                if flushed { loop.modify(fd: fd, readable: true, writable: false) }
            }
            if try connection.readPipeline(&reading) {
                complete(.success(reading.outcomes), registered: true)
            } else if hangup {
                throw PostgresError(.connection, "the database closed the connection")
            }
        } catch let error as PostgresError {
            complete(.failure(error), registered: true)
        } catch {
            complete(.failure(PostgresError(.connection, "\(error)")), registered: true)
        }
    }

    private func complete(_ result: Result<[PipelineOutcome], PostgresError>, registered: Bool) {
        guard let completion else { return }
        self.completion = nil
        if registered { loop.deregister(fd: fd) }
        if let timer {
            loop.cancelTimer(timer)
            self.timer = nil
        }
        completion(result)
    }
}
