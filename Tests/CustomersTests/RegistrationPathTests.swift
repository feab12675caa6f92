import Customers
import Messages
import RPC
import XCTest

/// CreateCustomer's one-round-trip path answers with a record it made before sending (nothing
/// is read back): that answer must be the customer as stored, field for field, and its replay
/// under an idempotency key the same bytes. The paths it falls back to (a waiting referral, a
/// look-alike, a taken phone) are covered by BindingTests, MergeTests and OwnershipTests.
final class RegistrationPathTests: XCTestCase {
    func testAPlainRegistrationAnswersTheCustomerAsStored() async throws {
        let fixture = try await CustomersFixture.make(self)
        defer { fixture.close() }
        var input = CustomersFixture.input(" 王 五 ", phones: ["+86 139-0013-9000", "023-6666 7777"], address: " 重庆市南岸区 8 号 ",
                                           tags: ["宴请", "团购", "宴请"], grade: .a)
        var decisionMaker = Xsc_Customers_V1_Contact()
        decisionMaker.name = "刘总"
        decisionMaker.phone = "13500135000"
        decisionMaker.notes = "周三下午在"
        input.decisionMaker = decisionMaker
        var purchaser = Xsc_Customers_V1_Contact()
        purchaser.name = "采购 陈"
        input.purchaser = purchaser
        let created = try await fixture.create(input, by: try fixture.salesA, key: "plain-1")
        XCTAssertFalse(created.existing)
        XCTAssertEqual(created.nearDuplicateIds, [])
        let stored = try await fixture.flow.get(customerID: created.customer?.id ?? "?", actor: try fixture.salesA)
        XCTAssertEqual(created.customer, stored.customer)
        XCTAssertEqual(created.customer?.version, 1)
        XCTAssertEqual(created.customer?.createdAtMs, fixture.clock.nowMillis())

        let replayed = try await fixture.create(input, by: try fixture.salesA, key: "plain-1")
        XCTAssertEqual(replayed.serializedBytes(), created.serializedBytes())
        let rows = try await fixture.count("SELECT count(*) FROM customer_phones WHERE customer_id = $1", [.text(created.customer?.id ?? "")])
        XCTAssertEqual(rows, 2)
    }

    func testALookAlikeOrAWaitingReferralWritesNothingBeforeTheFullPath() async throws {
        let fixture = try await CustomersFixture.make(self)
        defer { fixture.close() }
        let older = try unwrap(try await fixture.create(CustomersFixture.input("张三", phones: ["13812345678"]), by: try fixture.salesA).customer)
        // The one-round-trip attempt of this look-alike fails its check and must leave no row
        // behind: exactly one customer more, flagged once.
        let lookAlike = try await fixture.create(CustomersFixture.input("张三", phones: ["13812345687"]), by: try fixture.salesA2, key: "la-1")
        XCTAssertEqual(lookAlike.nearDuplicateIds, [older.id])
        let replay = try await fixture.create(CustomersFixture.input("张三", phones: ["13812345687"]), by: try fixture.salesA2, key: "la-1")
        XCTAssertEqual(replay.serializedBytes(), lookAlike.serializedBytes())
        let customers = try await fixture.count("SELECT count(*) FROM customers")
        XCTAssertEqual(customers, 2)
        let flags = try await fixture.count("SELECT count(*) FROM near_duplicates")
        XCTAssertEqual(flags, 1)

        _ = try await fixture.flow.referrerSeen(BindingTests.referrerSeen("r1", phone: "13700000009", referrer: "ref-1"), actor: try fixture.system)
        let referred = try await fixture.create(CustomersFixture.input("赵七", phones: ["13700000009"], address: "别处 2 号"), by: try fixture.salesA)
        XCTAssertEqual(referred.customer?.binding?.intermediaryAccountId, "ref-1")
        let waiting = try await fixture.count("SELECT count(*) FROM unclaimed_referrals")
        XCTAssertEqual(waiting, 0)
    }
}
