import Messages
import RPC

/// `xsc.common.v1.Inbox` (proto/xsc/common/v1/inbox.proto): a peer's outbox relay delivers a
/// batch of messages in one call, and each item runs as its unary call would - the same
/// verified actor (the inbox call's, checked by the server's interceptors like any call), the
/// item's event id as its idempotency key, the item's trace - so a receiver's handlers stay the
/// one place its rules live. One status per item, in order; the call itself fails only when
/// it cannot be read at all. Items run side by side, at most `parallelism` at once (as
/// separate unary calls did, bounded by the receiver's own pool).
///
/// Why: a unary call per outbox message cost the sender HTTP/2 headers, a stream and a
/// response to parse per message (~70k instructions of an order's ~375k in xsc-orders, issue
/// 15); a batch pays them once.
public struct InboxService: RPCServiceProvider {
    public static let serviceName = "xsc.common.v1.Inbox"
    public static let deliverPath = "/xsc.common.v1.Inbox/Deliver"
    /// More items than this in one call is refused (INVALID_ARGUMENT): a sender splits.
    public static let maxItems = 512

    private let routes: InboxRoutes
    private let parallelism: Int
    private let logger: Logger?
    private let traceIDs = TraceIDSource()

    /// `logger`: where an item's unexpected failure is logged (a unary call's goes to the
    /// access log; the inbox call itself succeeded).
    public init(routes: InboxRoutes, parallelism: Int = 8, logger: Logger? = nil) {
        self.routes = routes
        self.parallelism = max(1, parallelism)
        self.logger = logger
    }

    public var rpcService: RPCService {
        RPCService(name: Self.serviceName, methods: [
            .unary("Deliver") { (request: Xsc_Common_V1_InboxDelivery, context: ServerContext) async throws -> Xsc_Common_V1_InboxReceipt in
                try await deliver(request, context: context)
            },
        ])
    }

    func deliver(_ delivery: Xsc_Common_V1_InboxDelivery, context: ServerContext) async throws -> Xsc_Common_V1_InboxReceipt {
        _ = try context.requireActor()
        guard delivery.items.count <= Self.maxItems else {
            throw RPCError(code: .invalidArgument, message: "at most \(Self.maxItems) items per delivery; split it")
        }
        let items = delivery.items
        let statuses = await withTaskGroup(of: (Int, Xsc_Common_V1_InboxItemStatus).self) { group in
            var statuses = [Xsc_Common_V1_InboxItemStatus](repeating: .init(), count: items.count)
            var next = 0
            func startNext() {
                let index = next
                next += 1
                group.addTask { (index, await run(items[index], context: context)) }
            }
            while next < min(parallelism, items.count) { startNext() }
            for await (index, status) in group {
                statuses[index] = status
                if next < items.count { startNext() }
            }
            return statuses
        }
        var receipt = Xsc_Common_V1_InboxReceipt()
        receipt.statuses = statuses
        return receipt
    }

    /// One item, run as its unary call would be; its outcome as a status.
    private func run(_ item: Xsc_Common_V1_InboxItem, context: ServerContext) async -> Xsc_Common_V1_InboxItemStatus {
        guard let handler = routes.items[item.methodPath] else {
            return Self.status(.unimplemented, "this inbox does not take \(item.methodPath); call it directly")
        }
        let trace = TraceContext.continuing(item.traceparent.isEmpty ? nil : item.traceparent, traceState: nil,
                                            ids: traceIDs)
        do {
            try await TraceContext.$bound.withValue(trace) {
                try await handler(item.payload, item.eventId, context)
            }
            return Self.status(.ok, "")
        } catch {
            let failure = RPCError.answering(error)
            if failure.code == .unknown || failure.code == .internalError {
                logger?.error("inbox item failed", ["path": .string(item.methodPath), "event_id": .string(item.eventId),
                                                    "error": .string(String(describing: error))])
            }
            return Self.status(failure.code, failure.message)
        }
    }

    private static func status(_ code: StatusCode, _ message: String) -> Xsc_Common_V1_InboxItemStatus {
        var status = Xsc_Common_V1_InboxItemStatus()
        status.code = Int32(code.rawValue)
        status.message = message
        return status
    }
}
