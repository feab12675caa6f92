import XSCTestSupport
import Foundation
import Messages
@testable import Notifications
import RPC
import ServiceKit
import XCTest

final class InboxTests: XCTestCase {
    func testInboxPagesMarksReadAndHidesOthersMessages() async throws {
        let fixture = try await NotificationsFixture.make(self)
        defer { fixture.close() }
        let client = try fixture.serve()
        var ids: [String] = []
        for index in 0..<5 {
            let sent = try await client.send(NotificationsFixture.sendRequest(key: "in-\(index)", params: ["code": "C\(index)AB", "summary": "s"]),
                                             options: fixture.system)
            ids.append(sent.message?.id ?? "")
        }
        let foreign = try await client.send(NotificationsFixture.sendRequest(key: "other", account: "acct-other", phone: "13700000000"),
                                            options: fixture.system).message?.id ?? ""
        let lead = fixture.options("acct-lead-1")

        var page = Xsc_Notifications_V1_ListInboxRequest()
        page.pageSize = 2
        let first = try await client.listInbox(page, options: lead)
        XCTAssertEqual(first.messages.map(\.id), [ids[4], ids[3]], "newest first")
        XCTAssertEqual(first.unreadCount, 5)
        page.cursor = first.nextCursor
        let second = try await client.listInbox(page, options: lead)
        XCTAssertEqual(second.messages.map(\.id), [ids[2], ids[1]])
        page.cursor = second.nextCursor
        let third = try await client.listInbox(page, options: lead)
        XCTAssertEqual(third.messages.map(\.id), [ids[0]])
        XCTAssertEqual(third.nextCursor, "", "no more pages")

        var mark = Xsc_Notifications_V1_MarkReadRequest()
        mark.ids = [ids[0], ids[1], foreign, "00000000-0000-4000-8000-000000000000"]  // matches nothing: ignored
        let awaited1 = try await client.markRead(mark, options: lead).marked
        XCTAssertEqual(awaited1, 2, "only the caller's own messages")
        let awaited2 = try await client.markRead(mark, options: lead).marked
        XCTAssertEqual(awaited2, 0, "marking twice changes nothing")
        page = Xsc_Notifications_V1_ListInboxRequest()
        page.unreadOnly = true
        let unread = try await client.listInbox(page, options: lead)
        XCTAssertEqual(unread.messages.map(\.id), [ids[4], ids[3], ids[2]])
        XCTAssertEqual(unread.unreadCount, 3)
        let awaited3 = try await client.getMessage(.with(id: ids[0]), options: lead).readAtMs
        XCTAssertNotEqual(awaited3, 0)

        await assertRPCError(.notFound) { _ = try await client.getMessage(.with(id: foreign), options: lead) }
        await assertRPCError(.notFound) { _ = try await client.getMessage(.with(id: "00000000-0000-4000-8000-000000000000"), options: lead) }
        await assertRPCError(.invalidArgument) { _ = try await client.getMessage(.with(id: "missing"), options: lead) }
        page.cursor = "garbage"
        await assertRPCError(.invalidArgument) { _ = try await client.listInbox(page, options: lead) }
        await assertRPCError(.unauthenticated) { _ = try await client.listInbox(Xsc_Notifications_V1_ListInboxRequest()) }
    }

    func testSendValidationListsEveryFieldInBadRequest() async throws {
        let fixture = try await NotificationsFixture.make(self)
        defer { fixture.close() }
        let client = try fixture.serve()
        var request = NotificationsFixture.sendRequest(key: "", phone: "12345", template: "order_new_lead", params: ["code": "A7K2"],
                                                       category: .unspecified, region: "CQ!")
        request.accountId = ""
        do {
            _ = try await client.send(request, options: fixture.system)
            XCTFail("must be refused")
        } catch let error as RPCError {
            XCTAssertEqual(error.code, .invalidArgument)
            let status = try Google_Rpc_Status(serializedBytes: try XCTUnwrap(error.details))
            let any = try XCTUnwrap(status.details.first)
            XCTAssertEqual(any.typeUrl, "type.googleapis.com/google.rpc.BadRequest")
            let fields = try Google_Rpc_BadRequest(serializedBytes: any.value).fieldViolations.map(\.field)
            XCTAssertEqual(Set(fields), ["idempotency_key", "phone", "category", "region_code", "params[summary]"])
        }
        await assertRPCError(.permissionDenied) {
            _ = try await client.send(NotificationsFixture.sendRequest(key: "k"), options: fixture.options("acct-lead-1"))
        }
        // An account alone works once its phone is known (a Send named both before).
        var byAccount = NotificationsFixture.sendRequest(key: "acct-only")
        byAccount.phone = ""
        await assertRPCError(.failedPrecondition) { _ = try await client.send(byAccount, options: fixture.system) }
        _ = try await client.send(NotificationsFixture.sendRequest(key: "both"), options: fixture.system)
        let awaited4 = try await client.send(byAccount, options: fixture.system).message?.recipientPhoneMasked
        XCTAssertEqual(awaited4, "138****5678")
    }

    func testWatchInboxStreamsNewMessagesOfTheCallerOnly() async throws {
        let fixture = try await NotificationsFixture.make(self)
        defer { fixture.close() }
        let client = try fixture.serve()
        let before = try await client.send(NotificationsFixture.sendRequest(key: "w0"), options: fixture.system).message?.id ?? ""

        var watch = Xsc_Notifications_V1_WatchInboxRequest()
        watch.afterId = before
        let call = client.watchInbox(watch, options: fixture.options("acct-lead-1"))
        let reader = Task { () -> [String] in
            var seen: [String] = []
            for try await message in call {
                seen.append(message.id)
                if seen.count == 2 { break }
            }
            return seen
        }
        _ = try await client.send(NotificationsFixture.sendRequest(key: "w-other", account: "acct-other", phone: "13700000000"),
                                  options: fixture.system)
        let one = try await client.send(NotificationsFixture.sendRequest(key: "w1"), options: fixture.system).message?.id ?? ""
        let two = try await client.send(NotificationsFixture.sendRequest(key: "w2"), options: fixture.system).message?.id ?? ""
        let seen = try await reader.value
        call.cancel()
        XCTAssertEqual(seen, [one, two], "the caller's new messages, in order, and nobody else's")
        XCTAssertFalse(seen.contains(before), "starts after the given message")
    }
}
