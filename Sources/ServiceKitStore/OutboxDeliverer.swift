import ProtoCodec
import RPC

/// One claimed outbox message on its way out.
public struct OutboxMessage: Sendable, Equatable {
    public var eventID: String
    public var destination: String
    public var methodPath: String
    public var payload: [UInt8]
    /// 1 on the first delivery attempt.
    public var attempt: Int
    /// The trace of the work that queued it (`traceparent`), continued by the receiver.
    public var traceparent: String?

    public init(eventID: String, destination: String, methodPath: String, payload: [UInt8], attempt: Int,
                traceparent: String? = nil) {
        self.eventID = eventID
        self.destination = destination
        self.methodPath = methodPath
        self.payload = payload
        self.attempt = attempt
        self.traceparent = traceparent
    }
}

/// Delivers one message. Returning means delivered (the relay marks it so); throwing means
/// retry later with backoff, unless the error is `OutboxDeliveryError.permanent`, which
/// dead-letters at once. Must be safe to call again for the same event (at least once).
public protocol OutboxDeliverer: Sendable {
    func deliver(_ message: OutboxMessage) async throws
    /// Several messages at once: each one's error, nil when delivered, in the order given.
    /// By default one concurrent `deliver` per message; `RPCOutboxDeliverer` starts a whole
    /// peer's share in one visit to its channel's loop.
    func deliver(batch messages: [OutboxMessage]) async -> [(any Error)?]
}

extension OutboxDeliverer {
    public func deliver(batch messages: [OutboxMessage]) async -> [(any Error)?] {
        await withTaskGroup(of: (Int, (any Error)?).self) { group in
            for (index, message) in messages.enumerated() {
                group.addTask {
                    do {
                        try await deliver(message)
                        return (index, nil)
                    } catch {
                        return (index, error)
                    }
                }
            }
            var errors: [(any Error)?] = Array(repeating: nil, count: messages.count)
            for await (index, error) in group { errors[index] = error }
            return errors
        }
    }
}

public enum OutboxDeliveryError: Error, CustomStringConvertible {
    /// Retrying cannot help (the receiver rejected the request itself).
    case permanent(String)
    /// No channel is configured for the destination.
    case unknownDestination(String)

    public var description: String {
        switch self {
        case .permanent(let reason): return "permanent delivery failure: \(reason)"
        case .unknownDestination(let name): return "no channel configured for destination \"\(name)\""
        }
    }
}

/// Delivers as a unary gRPC call on the destination's channel, with metadata
/// `idempotency-key: <event id>` plus whatever `extraMetadata` adds (the signed service
/// actor, for instance). The response body is ignored; the status decides.
public struct RPCOutboxDeliverer: OutboxDeliverer {
    public typealias MetadataProvider = @Sendable (OutboxMessage) async throws -> Metadata

    /// Statuses that retrying cannot fix: the message is dead-lettered at once.
    public static let defaultPermanentCodes: Set<StatusCode> = [.invalidArgument, .unimplemented, .outOfRange]

    let channels: @Sendable (String) -> RPCChannel?
    let extraMetadata: MetadataProvider
    let timeout: Duration
    let permanentCodes: Set<StatusCode>
    /// Which peers take batches in their inbox (`InboxService`).
    let inboxes: InboxPeers

    /// - Parameters:
    ///   - channels: the channel for a destination name, nil when unknown.
    ///   - timeout: per call (keep it well under the relay's lease).
    public init(timeout: Duration = .seconds(10),
                permanentCodes: Set<StatusCode> = RPCOutboxDeliverer.defaultPermanentCodes,
                extraMetadata: @escaping MetadataProvider = { _ in Metadata() },
                channels: @escaping @Sendable (String) -> RPCChannel?) {
        self.inboxes = InboxPeers()
        self.channels = channels
        self.extraMetadata = extraMetadata
        self.timeout = timeout
        self.permanentCodes = permanentCodes
    }

    /// With a fixed destination table.
    public init(channels table: [String: RPCChannel], timeout: Duration = .seconds(10),
                extraMetadata: @escaping MetadataProvider = { _ in Metadata() }) {
        self.init(timeout: timeout, extraMetadata: extraMetadata, channels: { table[$0] })
    }

    public func deliver(_ message: OutboxMessage) async throws {
        guard let channel = channels(message.destination) else {
            throw OutboxDeliveryError.unknownDestination(message.destination)
        }
        let options = CallOptions(metadata: try await metadata(for: message), timeout: timeout)
        do {
            let _: OpaqueMessage = try await channel.unary(path: message.methodPath,
                                                            request: OpaqueMessage(bytes: message.payload), options: options)
        } catch let error as RPCError {
            throw classified(error)
        }
    }

    /// Per destination, the messages in one call to the peer's inbox (`deliverToInboxes`),
    /// and whatever the inbox did not take - or every message, to a peer without one - in one
    /// `unaryBatch` on its channel; destinations run side by side.
    public func deliver(batch messages: [OutboxMessage]) async -> [(any Error)?] {
        var errors: [(any Error)?] = Array(repeating: nil, count: messages.count)
        let direct = await deliverToInboxes(messages, errors: &errors)
        guard !direct.isEmpty else { return errors }
        var byDestination: [String: [Int]] = [:]
        for index in direct { byDestination[messages[index].destination, default: []].append(index) }
        var groups: [(RPCChannel, [Int], [UnaryBatchCall<OpaqueMessage>])] = []
        for (destination, indices) in byDestination {
            guard let channel = channels(destination) else {
                for index in indices { errors[index] = OutboxDeliveryError.unknownDestination(destination) }
                continue
            }
            var calls: [UnaryBatchCall<OpaqueMessage>] = []
            var sent: [Int] = []
            for index in indices {
                do {
                    let options = CallOptions(metadata: try await metadata(for: messages[index]), timeout: timeout)
                    calls.append(UnaryBatchCall(path: messages[index].methodPath, request: OpaqueMessage(bytes: messages[index].payload),
                                                options: options))
                    sent.append(index)
                } catch {
                    errors[index] = error
                }
            }
            groups.append((channel, sent, calls))
        }
        let outcomes = await withTaskGroup(of: ([Int], [Result<OpaqueMessage, RPCError>]).self) { group in
            for (channel, indices, calls) in groups {
                group.addTask { (indices, await channel.unaryBatch(opaque: calls)) }
            }
            var all: [([Int], [Result<OpaqueMessage, RPCError>])] = []
            for await outcome in group { all.append(outcome) }
            return all
        }
        for (indices, results) in outcomes {
            for (index, result) in zip(indices, results) {
                if case .failure(let error) = result { errors[index] = classified(error) }
            }
        }
        return errors
    }

    func metadata(for message: OutboxMessage) async throws -> Metadata {
        var metadata = try await extraMetadata(message)
        metadata.removeAll(named: IdempotencyStore.metadataKey)
        metadata.add(IdempotencyStore.metadataKey, message.eventID)
        // The trace of the work that queued the message, not of the relay that delivers it.
        metadata.removeAll(named: "traceparent")
        metadata.removeAll(named: "tracestate")
        if let traceparent = message.traceparent { metadata.add("traceparent", traceparent) }
        return metadata
    }

    func classified(_ error: RPCError) -> any Error {
        permanentCodes.contains(error.code) ? OutboxDeliveryError.permanent(error.description) : error
    }
}
