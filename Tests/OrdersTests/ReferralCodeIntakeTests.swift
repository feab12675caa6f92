import Foundation
import Messages
import Orders
import Postgres
import RPC
import ServiceKit
import XCTest

/// Intake turns an intermediary's short share code into its account id (ReferrerResolution):
/// the stored order, the referrer's own view and the events all name the account; an unknown
/// code is INVALID_ARGUMENT on referrer_code; a code that cannot be checked is UNAVAILABLE and
/// nothing is stored; an account id passes through without asking customers.
final class ReferralCodeIntakeTests: XCTestCase {
    /// The customers service as a dictionary, counting the questions it was asked.
    final class Codes: ReferralCodes, @unchecked Sendable {
        let known: [String: String]
        private let lock = NSLock()
        private var asked: [String] = []

        init(_ known: [String: String]) { self.known = known }

        var questions: [String] { lock.withLock { asked } }

        func accountID(ofCode code: String) async throws -> String? {
            lock.withLock { asked.append(code) }
            return known[code]
        }
    }

    private func flow(_ fixture: OrdersFixture, _ codes: any ReferralCodes) -> OrderFlow {
        OrderFlow(pool: fixture.pool, clock: fixture.clock.now, referralCodes: codes)
    }

    func testAShareCodeBecomesTheIntermediarysAccount() async throws {
        let fixture = try await OrdersFixture.make(self)
        defer { fixture.close() }
        let codes = Codes(["K7M2QX": "ref-42"])
        // Typed as people type it: lower case, a dash.
        let request = OrdersFixture.orderRequest(source: .alliance, externalID: "AL-1", referrer: "k7m-2qx")
        let value1 = try await flow(fixture, codes).submit(request, actor: try fixture.leadO1, idempotencyKey: nil).order
        let order = try XCTUnwrap(value1)
        XCTAssertEqual(order.referrerCode, "ref-42")
        XCTAssertEqual(codes.questions, ["K7M2QX"])
        let stored = try await fixture.pool.query("SELECT referrer_code FROM orders WHERE id = $1", [.text(order.id)])
        XCTAssertEqual(try stored[0].decode(String.self, at: 0), "ref-42")
        // The intermediary sees its referral; customers hears of it under the account id.
        _ = try await fixture.flow.get(orderID: order.id, actor: try fixture.referrer)
        let seen = try await fixture.outbox("/xsc.customers.v1.CustomerService/RecordReferrerSeen",
                                            as: Xsc_Orders_V1_ReferrerSeen.self)
        XCTAssertEqual(seen.map(\.message.referrerAccountId), ["ref-42"])

        // The same order again with the code in its canonical form: the same order, not a conflict.
        let again = try await flow(fixture, codes).submit(OrdersFixture.orderRequest(source: .alliance, externalID: "AL-1", referrer: "K7M2QX"),
                                                          actor: try fixture.leadO1, idempotencyKey: nil)
        XCTAssertTrue(again.existing)
        XCTAssertEqual(again.order?.id, order.id)
    }

    func testAnUnknownCodeIsRefusedOnItsField() async throws {
        let fixture = try await OrdersFixture.make(self)
        defer { fixture.close() }
        let error = await expectRPCError(.invalidArgument, "unknown code") {
            try await self.flow(fixture, Codes([:])).submit(OrdersFixture.orderRequest(source: .alliance, referrer: "ZZZZZZ"),
                                                            actor: try fixture.leadO1, idempotencyKey: nil)
        }
        XCTAssertEqual(error?.violatedFields, ["referrer_code"])
        XCTAssertTrue(error?.message.contains("unknown referral code ZZZZZZ") ?? false, error?.message ?? "")
        let value2 = try await fixture.count("SELECT count(*) FROM orders")
        XCTAssertEqual(value2, 0)
    }

    func testACodeThatCannotBeCheckedIsUnavailableAndStoresNothing() async throws {
        let fixture = try await OrdersFixture.make(self)
        defer { fixture.close() }
        await expectRPCError(.unavailable, "no customers service") {
            try await self.flow(fixture, NoReferralCodes()).submit(OrdersFixture.orderRequest(source: .alliance, referrer: "K7M2QX"),
                                                                   actor: try fixture.leadO1, idempotencyKey: nil)
        }
        let value3 = try await fixture.count("SELECT count(*) FROM orders")
        XCTAssertEqual(value3, 0)
        let value4 = try await fixture.count("SELECT count(*) FROM xsc_outbox")
        XCTAssertEqual(value4, 0)
    }

    func testAnAccountIDPassesThroughWithoutAsking() async throws {
        let fixture = try await OrdersFixture.make(self)
        defer { fixture.close() }
        let codes = Codes([:])
        for referrer in ["ref-42", "019f3a2c-aaaa-7000-8000-000000000000"] {
            let submitted = try await flow(fixture, codes).submit(
                OrdersFixture.orderRequest(source: .alliance, referrer: referrer), actor: try fixture.leadO1, idempotencyKey: nil)
            let order = try XCTUnwrap(submitted.order)
            XCTAssertEqual(order.referrerCode, referrer)
        }
        XCTAssertEqual(codes.questions, [])
    }
}
