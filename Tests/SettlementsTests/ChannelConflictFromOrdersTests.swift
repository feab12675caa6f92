import Messages
import RPC
import ServiceKit
import Settlements
import XCTest

/// Orders' channel-conflict guard sends a classed flag through its outbox as
/// RecordChannelConflict, signed as orders' SYSTEM actor with the event id as idempotency key:
/// settlements books it for a person of any region, once per event, with the source table's
/// penalty; staff of other roles are still refused.
final class ChannelConflictFromOrdersTests: XCTestCase {
    func testOrdersSystemActorBooksAClassedFlagOncePerEvent() async throws {
        let fixture = try await SettlementsFixture.make(self)
        defer { fixture.close() }
        var entry = Xsc_Common_V1_DirectoryEntry()
        entry.accountId = "dealer-sc"
        entry.name = "dealer-sc"
        entry.domainRole = "dealer"
        entry.nodePath = "/hq/sc/sc-o2/sc-o2-d1"
        entry.enabled = true
        entry.version = 1
        _ = try await fixture.flow.setDirectoryEntry(entry, actor: try fixture.system)

        var request = Xsc_Settlements_V1_RecordChannelConflictRequest()
        request.personAccountId = "dealer-sc"
        request.class = .general
        request.reference = "K7M2QXA"
        request.detail = "channel conflict (two channels): order K7M2QXA (mall) after B2C3D4E (alliance)"
        request.occurredAtMs = 1_760_000_000_000
        let booked = try await fixture.flow.recordChannelConflict(request, actor: try fixture.system, idempotencyKey: "event-1")
        XCTAssertEqual(booked.penaltyFen, 200_000, "a dealer's general fault: 2000 yuan")
        XCTAssertEqual(booked.source, "channel")
        XCTAssertEqual(booked.dueAtMs, 1_760_000_000_000)
        let again = try await fixture.flow.recordChannelConflict(request, actor: try fixture.system, idempotencyKey: "event-1")
        XCTAssertEqual(again.violationId, booked.violationId, "a redelivered event books nothing more")

        // Unknown to settlements yet (the directory feed lags): NOT_FOUND, which orders' relay retries.
        request.personAccountId = "not-yet-known"
        await XCTAssertRPCError(.notFound) {
            try await fixture.flow.recordChannelConflict(request, actor: try fixture.system, idempotencyKey: "event-2")
        }
        // A salesperson is neither the manager nor a service.
        let salesperson = try fixture.actor("sales-1", .staff, team: SettlementsFixture.team, domainRole: "salesperson")
        await XCTAssertRPCError(.permissionDenied) {
            try await fixture.flow.recordChannelConflict(request, actor: salesperson, idempotencyKey: "event-3")
        }
    }
}
