import Messages
import ProtoCodec
import RPC
import ServiceKit
import Synchronization
import XCTest
@testable import ServiceKitStore

/// Outbox messages for one peer go in one call to its inbox (`InboxService`), each item run as
/// its unary call would be; what the inbox does not take, and every message to a peer without
/// an inbox, still arrives as a unary call.
final class InboxDeliveryTests: XCTestCase {
    private let secret = ActorSecret(String(repeating: "k", count: 32))!

    private func server(seen: Seen, withInbox: Bool) throws -> RPCServer {
        var configuration = RPCServer.Configuration(host: "127.0.0.1", port: 0, eventLoops: 1)
        configuration.handlesTerminationSignals = false
        configuration.shutdownGracePeriod = .seconds(1)
        configuration.interceptors = [ActorVerifier(secret: secret, audience: "peer")]
        var routes = InboxRoutes()
        routes.accept("/test.Peer/Record", as: Xsc_Common_V1_EventAck.self) { _, eventID, context in
            let actor = try context.requireActor().accountID
            seen.add("inbox Record \(eventID) \(actor) \(TraceContext.current?.traceID ?? "-")")
        }
        routes.accept("/test.Peer/Refuse") { _, _, _ in throw RPCError(code: .invalidArgument, message: "bad event") }
        routes.accept("/test.Peer/Later") { _, _, _ in throw RPCError(code: .unavailable, message: "try later") }
        var services: [any RPCServiceProvider] = [PeerService(seen: seen)]
        if withInbox { services.append(InboxService(routes: routes)) }
        let server = RPCServer(configuration: configuration, services: services)
        try server.start()
        return server
    }

    /// A running peer (with or without an inbox), a channel to it, and how to stop both.
    private func peer(withInbox: Bool) throws -> (Seen, RPCChannel, () -> Void) {
        let seen = Seen()
        let server = try server(seen: seen, withInbox: withInbox)
        let channel = RPCChannel(host: "127.0.0.1", port: server.port)
        return (seen, channel, {
            channel.close()
            server.shutdown()
        })
    }

    private func deliverer(_ channel: RPCChannel) -> RPCOutboxDeliverer {
        let secret = self.secret
        return RPCOutboxDeliverer(permanentCodes: [.invalidArgument], extraMetadata: { message in
            ActorMint.mint(secret: secret, accountID: "svc-test", role: .system, lifetime: .seconds(60),
                           audience: message.destination)
        }, channels: { $0 == "peer" ? channel : nil })
    }

    private func message(_ method: String, _ eventID: String, traceparent: String? = nil) -> OutboxMessage {
        OutboxMessage(eventID: eventID, destination: "peer", methodPath: "/test.Peer/" + method,
                      payload: Xsc_Common_V1_EventAck().serializedBytes(), attempt: 1, traceparent: traceparent)
    }

    func testABatchGoesThroughTheInboxAndWhatItDoesNotTakeAsUnaryCalls() async throws {
        let (seen, channel, stop) = try peer(withInbox: true)
        defer { stop() }
        let trace = "4bf92f3577b34da6a3ce929d0e0e4736"
        let errors = await deliverer(channel).deliver(batch: [
            message("Record", "evt-1", traceparent: "00-\(trace)-00f067aa0ba902b7-01"),
            message("Record", "evt-2"),
            message("Refuse", "evt-3"),
            message("Later", "evt-4"),
            message("Direct", "evt-5"),
        ])
        XCTAssertNil(errors[0])
        XCTAssertNil(errors[1])
        guard case OutboxDeliveryError.permanent = try XCTUnwrap(errors[2]) else { return XCTFail("\(String(describing: errors[2]))") }
        XCTAssertEqual((errors[3] as? RPCError)?.code, .unavailable)
        XCTAssertNil(errors[4])
        let all = seen.all
        XCTAssertEqual(all.count, 3, "\(all)")
        XCTAssertEqual(all[0], "inbox Record evt-1 svc-test \(trace)", "the item runs in the trace that queued it")
        XCTAssertTrue(all[1].hasPrefix("inbox Record evt-2 svc-test "), all[1])
        XCTAssertFalse(all[1].hasSuffix(trace))
        XCTAssertEqual(all[2], "unary Direct evt-5 -", "a path the inbox does not take is called directly, with its key")
    }

    func testAPeerWithoutAnInboxGetsUnaryCalls() async throws {
        let (seen, channel, stop) = try peer(withInbox: false)
        defer { stop() }
        let deliverer = deliverer(channel)
        for round in 0..<2 {
            let errors = await deliverer.deliver(batch: [message("Direct", "evt-\(round)-a"), message("Direct", "evt-\(round)-b")])
            XCTAssertTrue(errors.allSatisfy { $0 == nil }, "\(errors)")
        }
        XCTAssertEqual(seen.all, ["unary Direct evt-0-a -", "unary Direct evt-0-b -", "unary Direct evt-1-a -", "unary Direct evt-1-b -"])
        XCTAssertFalse(deliverer.inboxes.mayHaveInbox("peer"), "the peer is remembered as having none")
    }

    func testTheInboxRefusesCallersWithoutAnActorAndOversizedDeliveries() async throws {
        let (seen, channel, stop) = try peer(withInbox: true)
        defer { stop() }
        var delivery = Xsc_Common_V1_InboxDelivery()
        delivery.items = [OutboxMessage](repeating: message("Record", "evt-x"), count: InboxService.maxItems + 1)
            .map(RPCOutboxDeliverer.inboxItem)
        func status(_ metadata: Metadata) async -> StatusCode? {
            do {
                let _: Xsc_Common_V1_InboxReceipt = try await channel.unary(path: InboxService.deliverPath, request: delivery,
                                                                            options: CallOptions(metadata: metadata))
                return .ok
            } catch {
                return (error as? RPCError)?.code
            }
        }
        let signed = ActorMint.mint(secret: secret, accountID: "svc-test", role: .system, lifetime: .seconds(60), audience: "peer")
        let unauthenticated = await status(Metadata())
        XCTAssertEqual(unauthenticated, .unauthenticated)
        let oversized = await status(signed)
        XCTAssertEqual(oversized, .invalidArgument)
        // A broken item is that item's failure (INTERNAL, as a unary call's undecodable request is).
        var broken = message("Record", "evt-y")
        broken.payload = [0xFF, 0xFF, 0xFF]
        delivery.items = [RPCOutboxDeliverer.inboxItem(broken), RPCOutboxDeliverer.inboxItem(message("Record", "evt-z"))]
        let receipt: Xsc_Common_V1_InboxReceipt = try await channel.unary(path: InboxService.deliverPath, request: delivery,
                                                                          options: CallOptions(metadata: signed))
        XCTAssertEqual(receipt.statuses.map(\.code), [Int32(StatusCode.internalError.rawValue), 0])
        XCTAssertEqual(seen.all.count, 1)
        XCTAssertTrue(seen.all.first?.hasPrefix("inbox Record evt-z svc-test ") ?? false, "\(seen.all)")
    }
}

/// What the receiving side saw: per item or call, "<how> <method> <event id> <actor> <trace id>".
private final class Seen: Sendable {
    let entries = Mutex<[String]>([])
    func add(_ entry: String) { entries.withLock { $0.append(entry) } }
    var all: [String] { entries.withLock { $0 }.sorted() }
}

/// The peer's unary methods: `Direct` records the call (its idempotency key), the others exist
/// only in the inbox (a unary call to them is UNIMPLEMENTED).
private struct PeerService: RPCServiceProvider {
    let seen: Seen

    var rpcService: RPCService {
        let seen = self.seen
        return RPCService(name: "test.Peer", methods: [
            .unary("Direct") { (request: OpaqueMessage, context: ServerContext) -> OpaqueMessage in
                seen.add("unary Direct \(context.requestMetadata[IdempotencyStore.metadataKey] ?? "?") -")
                return OpaqueMessage()
            },
        ])
    }
}
