import HTTPClient
import Synchronization

/// Sends finished spans to an OpenTelemetry collector over OTLP/HTTP (JSON), in batches, from
/// a background task, so a call never waits for the collector. The queue is bounded: when the
/// collector is slow or gone, new spans are dropped and counted (`droppedSpans`), never held
/// without end; a failed batch is dropped too, because traces are a diagnosis aid, not a
/// record that must survive (orders, payments and messages have their own durable paths).
public final class OTLPExporter: BackgroundWorker, Sendable {
    public let name = "otlp-exporter"
    private let endpoint: TracingSettings.Endpoint
    private let service: String
    private let logger: Logger
    private let interval: Duration
    private let maxQueued: Int
    private let maxBatch: Int
    private let state = Mutex(State())
    private let client = HTTP1Client()

    private struct State {
        var queue: [SpanRecord] = []
        var dropped = 0
        var exported = 0
        var task: Task<Void, Never>?
    }

    public init(endpoint: TracingSettings.Endpoint, service: String, logger: Logger,
                interval: Duration = .seconds(1), maxQueued: Int = 4096, maxBatch: Int = 512) {
        self.endpoint = endpoint
        self.service = service
        self.logger = logger
        self.interval = interval
        self.maxQueued = maxQueued
        self.maxBatch = maxBatch
    }

    public var droppedSpans: Int { state.withLock { $0.dropped } }
    public var exportedSpans: Int { state.withLock { $0.exported } }

    public func record(_ span: SpanRecord) {
        state.withLock { state in
            if state.queue.count < maxQueued { state.queue.append(span) } else { state.dropped += 1 }
        }
    }

    public func start() throws {
        let task = Task { [self] in
            while !Task.isCancelled {
                try? await Task.sleep(for: interval)
                await flush()
            }
        }
        state.withLock { $0.task = task }
    }

    public func stop() async {
        let task = state.withLock { state -> Task<Void, Never>? in
            defer { state.task = nil }
            return state.task
        }
        task?.cancel()
        await task?.value
        await flush()  // what the last calls left, once
    }

    /// Sends what is queued, a batch at a time.
    public func flush() async {
        while true {
            let batch = state.withLock { state -> [SpanRecord] in
                let count = min(maxBatch, state.queue.count)
                defer { state.queue.removeFirst(count) }
                return Array(state.queue.prefix(count))
            }
            if batch.isEmpty { return }
            let body = Array(OTLPJSON.body(service: service, spans: batch).utf8)
            do {
                let response = try await client.post(host: endpoint.host, port: endpoint.port, path: endpoint.tracesPath,
                                                     headers: [("content-type", "application/json")], body: body,
                                                     timeout: .seconds(5), tls: endpoint.https ? .system : nil)
                guard (200..<300).contains(response.status) else {
                    logger.warning("span export refused", ["status": .int(Int64(response.status)), "spans": .int(Int64(batch.count))])
                    state.withLock { $0.dropped += batch.count }
                    return
                }
                state.withLock { $0.exported += batch.count }
            } catch {
                logger.warning("span export failed", ["error": .string(error.description), "spans": .int(Int64(batch.count))])
                state.withLock { $0.dropped += batch.count }
                return
            }
        }
    }
}
