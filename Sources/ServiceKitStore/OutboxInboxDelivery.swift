import Messages
import RPC
import ServiceKit
import Synchronization

/// Which peers take outbox batches in their inbox (`InboxService`). A peer answered
/// UNIMPLEMENTED for the inbox itself (an older build) gets unary calls only, and is asked
/// again after `recheck`: a peer upgraded meanwhile is found without a restart here.
final class InboxPeers: Sendable {
    private let recheck: Duration
    private let without = Mutex<[String: ContinuousClock.Instant]>([:])

    init(recheck: Duration = .seconds(300)) {
        self.recheck = recheck
    }

    func mayHaveInbox(_ peer: String) -> Bool {
        without.withLock { without in
            guard let since = without[peer] else { return true }
            if ContinuousClock.now - since < recheck { return false }
            without[peer] = nil
            return true
        }
    }

    func hasNoInbox(_ peer: String) {
        without.withLock { $0[peer] = .now }
    }
}

extension RPCOutboxDeliverer {
    /// At most this many items, and about this many payload bytes, per inbox call: under the
    /// receiver's 4 MiB message limit with room to spare, and few enough that a slow receiver
    /// (8 items at a time) finishes well inside the call's timeout - a call that times out is
    /// delivered again whole.
    static let inboxItemsPerCall = 64
    static let inboxBytesPerCall = 1 << 20

    /// Delivers what it can through peers' inboxes: every destination with two messages or
    /// more gets them in one `Inbox/Deliver` call (or a few, for a large batch) instead of a
    /// unary call each. Fills `errors` for what it delivered or failed; returns the indices of
    /// the messages still to send as unary calls (a single message, a peer without an inbox,
    /// an item whose method the inbox does not take).
    func deliverToInboxes(_ messages: [OutboxMessage], errors: inout [(any Error)?]) async -> [Int] {
        guard messages.count > 1 else { return Array(messages.indices) }
        var byDestination: [String: [Int]] = [:]
        for (index, message) in messages.enumerated() { byDestination[message.destination, default: []].append(index) }
        var direct: [Int] = []
        var calls: [(destination: String, channel: RPCChannel, indices: [Int], options: CallOptions)] = []
        for (destination, indices) in byDestination {
            guard indices.count > 1, let channel = channels(destination), inboxes.mayHaveInbox(destination) else {
                direct += indices
                continue
            }
            let options: CallOptions
            do {
                var metadata = try await extraMetadata(messages[indices[0]])
                // Each item carries its own key and trace; the call has none of its own.
                for name in [IdempotencyStore.metadataKey, "traceparent", "tracestate"] { metadata.removeAll(named: name) }
                options = CallOptions(metadata: metadata, timeout: timeout)
            } catch {
                direct += indices
                continue
            }
            for chunk in Self.inboxChunks(indices, of: messages) {
                calls.append((destination, channel, chunk, options))
            }
        }
        let answers = await withTaskGroup(of: (Int, Result<Xsc_Common_V1_InboxReceipt, RPCError>).self) { group in
            for (position, call) in calls.enumerated() {
                var delivery = Xsc_Common_V1_InboxDelivery()
                delivery.items = call.indices.map { Self.inboxItem(messages[$0]) }
                group.addTask {
                    do {
                        let receipt: Xsc_Common_V1_InboxReceipt = try await call.channel.unary(
                            path: InboxService.deliverPath, request: delivery, options: call.options)
                        return (position, .success(receipt))
                    } catch let error as RPCError {
                        return (position, .failure(error))
                    } catch {
                        return (position, .failure(RPCError(code: .unknown, message: String(describing: error))))
                    }
                }
            }
            var answers: [(Int, Result<Xsc_Common_V1_InboxReceipt, RPCError>)] = []
            for await answer in group { answers.append(answer) }
            return answers
        }
        for (position, answer) in answers {
            let call = calls[position]
            switch answer {
            case .failure(let error) where error.code == .unimplemented:
                inboxes.hasNoInbox(call.destination)
                direct += call.indices
            case .failure(let error):
                for index in call.indices { errors[index] = classified(error) }
            case .success(let receipt) where receipt.statuses.count != call.indices.count:
                let error = RPCError(code: .internalError, message: "the inbox of \(call.destination) answered "
                                     + "\(receipt.statuses.count) statuses for \(call.indices.count) items")
                for index in call.indices { errors[index] = error }
            case .success(let receipt):
                for (index, status) in zip(call.indices, receipt.statuses) {
                    let code = StatusCode(rawValue: Int(status.code)) ?? .unknown
                    switch code {
                    case .ok: errors[index] = nil
                    case .unimplemented: direct.append(index)
                    default: errors[index] = classified(RPCError(code: code, message: status.message))
                    }
                }
            }
        }
        return direct.sorted()
    }

    static func inboxItem(_ message: OutboxMessage) -> Xsc_Common_V1_InboxItem {
        var item = Xsc_Common_V1_InboxItem()
        item.methodPath = message.methodPath
        item.payload = message.payload
        item.eventId = message.eventID
        item.traceparent = message.traceparent ?? ""
        return item
    }

    /// `indices` in runs of at most `inboxItemsPerCall` items and about `inboxBytesPerCall`
    /// bytes of payload (a larger single message goes alone).
    static func inboxChunks(_ indices: [Int], of messages: [OutboxMessage]) -> [[Int]] {
        var chunks: [[Int]] = []
        var current: [Int] = []
        var bytes = 0
        for index in indices {
            let size = messages[index].payload.count + messages[index].methodPath.utf8.count + 64
            if !current.isEmpty && (current.count == inboxItemsPerCall || bytes + size > inboxBytesPerCall) {
                chunks.append(current)
                current = []
                bytes = 0
            }
            current.append(index)
            bytes += size
        }
        if !current.isEmpty { chunks.append(current) }
        return chunks
    }
}
