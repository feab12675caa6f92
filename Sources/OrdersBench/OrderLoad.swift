import Foundation
import Messages
import NetIO
import RPC
import ServiceAPI

/// The closed loop: `concurrency` callers, each sending its next distinct order as soon as the
/// previous one was answered, for warm-up + duration. Calls that start inside the measured
/// window count; latency is request start -> response, as the caller sees it.
struct OrderLoad {
    let options: BenchOptions

    private struct CallerResult: Sendable {
        var latenciesMicros: [Int] = []
        var errors: [String: Int] = [:]
    }

    func run() async throws -> LoadReport {
        // The callers run on the channels' own loop thread: a call never changes threads on
        // the client side, so the generator spends its CPU on the calls, not on hand-offs.
        let loop = try EventLoop(name: "orders-bench")
        let thread = LoopThread(loop: loop)
        try thread.start()
        defer {
            loop.stop()
            thread.join()
        }
        let options = self.options
        let channels = (0..<options.connections).map { _ in
            RPCChannel(host: options.host, port: options.port, loop: loop)
        }
        defer { channels.forEach { $0.close() } }
        let runID = String(UInt64.random(in: 0...UInt64.max), radix: 36)
        // One call first: a setup mistake fails loudly instead of filling the report with errors.
        _ = try await Self.submit(client: Xsc_Orders_V1_OrderServiceClient(channel: channels[0]),
                                  id: "\(runID)-probe", metadata: options.metadata)

        let start = ContinuousClock.now
        let measureFrom = start + options.warmup
        let end = measureFrom + options.duration
        let sampler = ProcessSampler(pids: options.serverPIDs)
        let samplerTask = Task { await sampler.sample(from: measureFrom, until: end) }
        let results = await withTaskGroup(of: CallerResult.self) { group in
            for caller in 0..<options.concurrency {
                let client = Xsc_Orders_V1_OrderServiceClient(channel: channels[caller % channels.count])
                group.addTask(executorPreference: loop) {
                    await Self.caller(client: client, prefix: "\(runID)-\(caller)-",
                                      metadata: options.metadata, measureFrom: measureFrom, end: end)
                }
            }
            var all: [CallerResult] = []
            for await result in group { all.append(result) }
            return all
        }
        let servers = await samplerTask.value
        var latencies = results.flatMap(\.latenciesMicros)
        latencies.sort()
        var errors: [String: Int] = [:]
        for result in results { errors.merge(result.errors, uniquingKeysWith: +) }
        return LoadReport(label: options.label, concurrency: options.concurrency, connections: options.connections,
                          seconds: Double(options.duration.components.seconds)
                              + Double(options.duration.components.attoseconds) / 1e18,
                          sortedLatenciesMicros: latencies, errors: errors, servers: servers)
    }

    private static func caller(client: Xsc_Orders_V1_OrderServiceClient, prefix: String, metadata: Metadata,
                               measureFrom: ContinuousClock.Instant, end: ContinuousClock.Instant) async -> CallerResult {
        var result = CallerResult()
        var sequence = 0
        while true {
            let started = ContinuousClock.now
            guard started < end else { break }
            sequence += 1
            do {
                _ = try await submit(client: client, id: prefix + String(sequence), metadata: metadata)
                if started >= measureFrom {
                    let elapsed = ContinuousClock.now - started
                    result.latenciesMicros.append(Int(elapsed.components.seconds) * 1_000_000
                                                  + Int(elapsed.components.attoseconds / 1_000_000_000_000))
                }
            } catch let error as RPCError {
                // Code and message: "UNAVAILABLE" alone cannot tell a busy pool from a lost connection.
                if started >= measureFrom { result.errors["\(error.code): \(error.message)", default: 0] += 1 }
            } catch {
                if started >= measureFrom { result.errors["\(error)", default: 0] += 1 }
            }
        }
        return result
    }

    /// One order, distinct by `id` (its external id and its idempotency key).
    private static func submit(client: Xsc_Orders_V1_OrderServiceClient, id: String,
                               metadata: Metadata) async throws -> Xsc_Orders_V1_SubmitOrderResponse {
        var callMetadata = metadata
        callMetadata.add("idempotency-key", id)
        let response = try await client.submitOrder(CatalogSeed.order(externalID: id),
                                                    options: CallOptions(metadata: callMetadata, timeout: .seconds(30)))
        guard response.order?.externalId == id, response.existing == false else {
            throw BenchFailure(message: "the answer is not the order just submitted (\(id))")
        }
        return response
    }
}

struct BenchFailure: Error, CustomStringConvertible {
    let message: String
    var description: String { message }
}
