import XSCTestSupport
import Foundation
import Messages
@testable import Notifications
import Postgres
import RPC
import ServiceKit
import XCTest

/// The gateway's directory feed (SetContact) and the SMS provider's actor: versions order the
/// entries, a forgotten or disabled phone maps to nobody, and the provider reaches exactly the
/// two callbacks.
final class ContactDirectoryTests: XCTestCase {
    private static func contact(_ account: String, _ phone: String, enabled: Bool = true,
                                version: Int64) -> Xsc_Notifications_V1_SetContactRequest {
        var request = Xsc_Notifications_V1_SetContactRequest()
        request.accountId = account
        request.phone = phone
        request.enabled = enabled
        request.version = version
        return request
    }

    private static func reply(_ text: String, from phone: String, at millis: Int64) -> Xsc_Notifications_V1_ReceiveInboundRequest {
        var request = Xsc_Notifications_V1_ReceiveInboundRequest()
        request.fromPhone = phone
        request.text = text
        request.receivedAtMs = millis
        request.providerMessageId = UUID().uuidString
        return request
    }

    /// An order prompt for `account` naming only the account, as orders sends it.
    private static func prompt(key: String, account: String, order: String, code: String) -> Xsc_Notifications_V1_SendRequest {
        let request = NotificationsFixture.sendRequest(key: key, account: account, phone: "", params: ["code": code, "summary": "x"],
                                                       orderID: order, code: code)
        return request
    }

    /// A partner actor (as the gateway signs SMS-provider and partner keys).
    private static func partner(_ fixture: NotificationsFixture, channel: String) -> CallOptions {
        var actor = Xsc_Common_V1_ActorContext()
        actor.accountId = "drill-sms"
        actor.role = .partner
        actor.partnerChannel = channel
        actor.requestId = "r"
        actor.expiresAtMs = SystemWallClock.now() + 3_600_000 // the verifier reads the real clock
        return CallOptions(metadata: ActorSigner(secret: NotificationsFixture.actorSecret).sign(actor, audience: "notifications"), timeout: .seconds(20))
    }

    private func code(of call: () async throws -> Void) async -> StatusCode? {
        do {
            try await call()
            return nil
        } catch let error as RPCError {
            return error.code
        } catch {
            return .unknown
        }
    }

    func testVersionsOrderEntriesAndALateRedeliveryChangesNothing() async throws {
        let fixture = try await NotificationsFixture.make(self)
        defer { fixture.close() }
        let client = try fixture.serve()
        let now = fixture.clock.nowMillis()

        let newer = try await client.setContact(Self.contact("lead-a", "13900000003", version: 20), options: fixture.system)
        XCTAssertTrue(newer.applied)
        let late = try await client.setContact(Self.contact("lead-a", "13900000099", version: 10), options: fixture.system)
        XCTAssertFalse(late.applied, "an older entry arriving late is ignored")
        let again = try await client.setContact(Self.contact("lead-a", "13900000003", version: 20), options: fixture.system)
        XCTAssertFalse(again.applied, "a redelivery of the same version is a no-op")

        let sent = try await client.send(Self.prompt(key: "p1", account: "lead-a", order: "o-1", code: "AB12"), options: fixture.system)
        XCTAssertEqual(sent.message?.recipientPhoneMasked, "139****0003", "the account's SMS go to the directory's phone")
        let answer = try await client.receiveInbound(Self.reply("1", from: "13900000003", at: now + 1000), options: fixture.system)
        XCTAssertEqual(answer.outcome, .acknowledgementQueued)
        XCTAssertEqual(answer.orderId, "o-1")
        let stale = try await client.receiveInbound(Self.reply("1", from: "13900000099", at: now + 1000), options: fixture.system)
        XCTAssertEqual(stale.outcome, .nothingToAcknowledge, "the overtaken entry's phone maps to nobody")
    }

    func testANumberThatMovedBelongsToTheNewerClaimWhateverTheArrivalOrder() async throws {
        let fixture = try await NotificationsFixture.make(self)
        defer { fixture.close() }
        let client = try fixture.serve()
        // At the gateway: A had X (v1), moved to Y (v2), then B took X (v3). Delivered: v1, v3, v2.
        _ = try await client.setContact(Self.contact("acct-a", "13900000011", version: 1), options: fixture.system)
        _ = try await client.setContact(Self.contact("acct-b", "13900000011", version: 3), options: fixture.system)
        _ = try await client.send(Self.prompt(key: "pb", account: "acct-b", order: "o-b", code: "BB22"), options: fixture.system)
        let beforeA = try await client.receiveInbound(Self.reply("1", from: "13900000011", at: fixture.clock.nowMillis() + 1),
                                                      options: fixture.system)
        XCTAssertEqual(beforeA.orderId, "o-b", "A's stale entry does not outrank B's newer claim")
        _ = try await client.setContact(Self.contact("acct-a", "13900000022", version: 2), options: fixture.system)
        let sentToA = try await client.send(Self.prompt(key: "pa", account: "acct-a", order: "o-a", code: "AA11"), options: fixture.system)
        XCTAssertEqual(sentToA.message?.recipientPhoneMasked, "139****0022")
    }

    func testForgottenAndDisabledPhonesMapToNobodyAndDisabledAccountsGetNoSMS() async throws {
        let fixture = try await NotificationsFixture.make(self)
        defer { fixture.close() }
        let client = try fixture.serve()
        _ = try await client.setContact(Self.contact("lead-d", "13900000033", version: 1), options: fixture.system)
        _ = try await client.send(Self.prompt(key: "pd", account: "lead-d", order: "o-d", code: "DD44"), options: fixture.system)

        _ = try await client.setContact(Self.contact("lead-d", "13900000033", enabled: false, version: 2), options: fixture.system)
        let fromDisabled = try await client.receiveInbound(Self.reply("1", from: "13900000033", at: fixture.clock.nowMillis() + 1),
                                                           options: fixture.system)
        XCTAssertEqual(fromDisabled.outcome, .nothingToAcknowledge, "a disabled account's reply acknowledges nothing")
        let refused = try await client.send(Self.prompt(key: "pd2", account: "lead-d", order: "o-d2", code: "DD55"), options: fixture.system)
        XCTAssertEqual(refused.message?.state, .failed, "recorded, never handed to the provider")
        XCTAssertEqual(refused.message?.failureReason, "recipient account disabled")
        let queued = try await fixture.pool.query("SELECT count(*) FROM messages WHERE state = 'queued' AND idempotency_key = 'pd2'")
        XCTAssertEqual(try queued[0].decode(Int.self, at: 0), 0)

        _ = try await client.setContact(Self.contact("lead-d", "", enabled: true, version: 3), options: fixture.system)
        let forgotten = await code { _ = try await client.send(Self.prompt(key: "pd3", account: "lead-d", order: "o-d3", code: "DD66"),
                                                               options: fixture.system) }
        XCTAssertEqual(forgotten, .failedPrecondition, "no phone known: the sender's outbox retries later")
        let fromForgotten = try await client.receiveInbound(Self.reply("1", from: "13900000033", at: fixture.clock.nowMillis() + 2),
                                                            options: fixture.system)
        XCTAssertEqual(fromForgotten.outcome, .nothingToAcknowledge)
    }

    func testTheDirectoryOverridesPairsLearnedFromSend() async throws {
        let fixture = try await NotificationsFixture.make(self)
        defer { fixture.close() }
        let client = try fixture.serve()
        // A Send that names both teaches 13812345678 -> acct-lead-1 ...
        _ = try await client.send(NotificationsFixture.sendRequest(key: "learn", orderID: "o-l", code: "LL77"), options: fixture.system)
        // ... until the gateway says that account is disabled.
        _ = try await client.setContact(Self.contact("acct-lead-1", "13812345678", enabled: false, version: 5), options: fixture.system)
        let answer = try await client.receiveInbound(Self.reply("1", from: "13812345678", at: fixture.clock.nowMillis() + 1),
                                                     options: fixture.system)
        XCTAssertEqual(answer.outcome, .nothingToAcknowledge)
    }

    func testSetContactIsForTheSystemOnlyAndValidatesEveryField() async throws {
        let fixture = try await NotificationsFixture.make(self)
        defer { fixture.close() }
        let client = try fixture.serve()
        let entry = Self.contact("acct", "13900000003", version: 1)
        for options in [fixture.options("hq", role: .admin), fixture.options("lead", role: .staff),
                        Self.partner(fixture, channel: NotificationHandler.smsProviderChannel)] {
            let refused = await code { _ = try await client.setContact(entry, options: options) }
            XCTAssertEqual(refused, .permissionDenied)
        }
        do {
            _ = try await client.setContact(Self.contact("", "12345", version: 0), options: fixture.system)
            XCTFail("accepted an invalid entry")
        } catch let error as RPCError {
            XCTAssertEqual(error.code, .invalidArgument)
            let fields = Set(error.message.split(separator: ";").compactMap { $0.split(separator: ":").first }
                .map { $0.trimmingCharacters(in: .whitespaces) })
            XCTAssertEqual(fields, ["account_id", "phone", "version"])
        }
    }

    func testTheProviderActorReachesOnlyTheTwoCallbacks() async throws {
        let fixture = try await NotificationsFixture.make(self)
        defer { fixture.close() }
        let client = try fixture.serve()
        let provider = Self.partner(fixture, channel: NotificationHandler.smsProviderChannel)
        _ = try await client.setContact(Self.contact("lead-p", "13900000044", version: 1), options: fixture.system)
        let sent = try await client.send(Self.prompt(key: "pp", account: "lead-p", order: "o-p", code: "PP88"), options: fixture.system)

        let inbound = try await client.receiveInbound(Self.reply("1", from: "13900000044", at: fixture.clock.nowMillis() + 1),
                                                      options: provider)
        XCTAssertEqual(inbound.outcome, .acknowledgementQueued, "the provider delivers inbound SMS")
        var receipt = Xsc_Notifications_V1_ReportDeliveryRequest()
        receipt.providerMessageId = "unknown-provider-id"
        receipt.status = .delivered
        let receiptCode = await code { _ = try await client.reportDelivery(receipt, options: provider) }
        XCTAssertEqual(receiptCode, .notFound, "past the role check: the receipt names no message of ours")

        let sendCode = await code { _ = try await client.send(Self.prompt(key: "evil", account: "lead-p", order: "o-x", code: "XX99"),
                                                               options: provider) }
        XCTAssertEqual(sendCode, .permissionDenied, "a provider key cannot send SMS")
        let usageCode = await code { _ = try await client.usageReport(Xsc_Notifications_V1_UsageReportRequest(), options: provider) }
        XCTAssertEqual(usageCode, .permissionDenied)
        var get = Xsc_Notifications_V1_GetMessageRequest()
        get.id = sent.message?.id ?? ""
        let getCode = await code { _ = try await client.getMessage(get, options: provider) }
        XCTAssertEqual(getCode, .notFound, "messages are not the provider's to read")

        let orderPartner = Self.partner(fixture, channel: "mall")
        let partnerCode = await code { _ = try await client.receiveInbound(Self.reply("1", from: "13900000044", at: 1), options: orderPartner) }
        XCTAssertEqual(partnerCode, .permissionDenied, "only the reserved channel is a provider")
    }
}
