import Customers
import Messages
import Postgres
import RPC
import ServiceKit
import XCTest

/// The import's batch path itself (COPY into the staging table, then the set-based statements):
/// a batch that fails goes row by row and answers exactly the same, so the other import tests
/// cannot tell the two apart. Here the transaction ids PostgreSQL hands out show which path ran
/// (a batch takes one, row by row takes one per row), and the rows it wrote are read back field
/// by field with what the near-duplicate lookup and the referral claim found.
final class ImportBatchPathTests: XCTestCase {
    func testABatchIsOneTransactionAndWritesWhatTheRowsSay() async throws {
        let fixture = try await CustomersFixture.make(self)
        defer { fixture.close() }
        let existing = try await fixture.create(CustomersFixture.input("老客户", phones: ["13900000012"], address: "老路1号"),
                                                by: try fixture.salesA2)
        _ = try await fixture.flow.referrerSeen(BindingTests.referrerSeen("e-batch", phone: "13700000055", referrer: "ref-batch"),
                                                actor: try fixture.system)

        var rich = CustomersFixture.input(" 渝中 宴请公司 ", phones: ["136 0000 0101", "023-6123 4567"], address: "解放碑\\1号 (东门)",
                                          tags: ["宴请", "老板\\朋友", "宴请"], grade: .a)
        rich.kind = .familyGathering
        rich.decisionMaker = { var c = Xsc_Customers_V1_Contact(); c.name = "王总"; c.phone = "13600000102"; c.notes = "周一\n上午"; return c }()
        rich.purchaser = { var c = Xsc_Customers_V1_Contact(); c.name = "李采购"; return c }()
        var inputs = [rich,
                      CustomersFixture.input("新客户", phones: ["13900000021"], address: "新路2号"),   // a neighbour swap of 13900000012
                      CustomersFixture.input("老客户", phones: ["13900000999"], address: "老路 1号"), // the same name and address
                      CustomersFixture.input("转介绍", phones: ["13700000055"], address: "转路3号")]  // a referral waits for it
        inputs += (0..<300).map { CustomersFixture.input("批次\($0)", phones: [String(format: "158%08d", $0 * 7919 % 100_000_000)], address: "批次路\($0)号") }
        let rows = inputs.map { input -> Xsc_Customers_V1_ImportCustomerRow in
            var row = Xsc_Customers_V1_ImportCustomerRow()
            row.customer = input
            return row
        }

        let before = try await fixture.pool.query("SELECT txid_current()")[0].decode(Int64.self, at: 0)
        let results = try await fixture.flow.importForTests(rows, actor: try fixture.salesA)
        let after = try await fixture.pool.query("SELECT txid_current()")[0].decode(Int64.self, at: 0)
        XCTAssertEqual(results.map(\.outcome), Array(repeating: "created", count: rows.count))
        XCTAssertLessThan(after - before, 10, "one transaction for the batch, not one per row (\(after - before) ids)")

        let stored = try await fixture.flow.get(customerID: results[0].customerId, actor: try fixture.salesA).customer!
        XCTAssertEqual(stored.name, "渝中 宴请公司")
        XCTAssertEqual(stored.phones, ["13600000101", "02361234567"])
        XCTAssertEqual(stored.address, "解放碑\\1号 (东门)")
        XCTAssertEqual(stored.tags, ["宴请", "老板\\朋友"])
        XCTAssertEqual(stored.kind, .familyGathering)
        XCTAssertEqual(stored.grade, .a)
        XCTAssertEqual(stored.decisionMaker?.name, "王总")
        XCTAssertEqual(stored.decisionMaker?.phone, "13600000102")
        XCTAssertEqual(stored.decisionMaker?.notes, "周一\n上午")
        XCTAssertEqual(stored.purchaser?.name, "李采购")
        XCTAssertEqual(stored.ownerAccountId, "sales-a1")
        XCTAssertEqual(stored.origin, "import")
        let kinds = try await fixture.pool.query("SELECT phone, kind FROM customer_phones WHERE customer_id = $1 ORDER BY phone",
                                                 [.text(results[0].customerId)])
        XCTAssertEqual(try kinds.map { [try $0.decode(String.self, at: 0), try $0.decode(String.self, at: 1)] },
                       [["02361234567", "landline"], ["13600000101", "mobile"]])

        let flags = try await fixture.flow.listNearDuplicates(.init(), actor: try fixture.adminA).nearDuplicates
        XCTAssertEqual(Set(flags.map { [$0.customerId, $0.similarCustomerId, $0.reason] }),
                       [[results[1].customerId, existing.customer!.id, "phone_transposition"],
                        [results[2].customerId, existing.customer!.id, "same_name_address"]])
        let referred = try await fixture.flow.get(customerID: results[3].customerId, actor: try fixture.salesA).customer!
        XCTAssertEqual(referred.binding?.intermediaryAccountId, "ref-batch")
        let waiting = try await fixture.count("SELECT count(*) FROM unclaimed_referrals")
        XCTAssertEqual(waiting, 0)

        // Sent again: every row is the caller's own customer already, answered in the batch
        // (one transaction, not one per row as before session 9).
        let beforeResend = try await fixture.pool.query("SELECT txid_current()")[0].decode(Int64.self, at: 0)
        let again = try await fixture.flow.importForTests(rows, actor: try fixture.salesA)
        let afterResend = try await fixture.pool.query("SELECT txid_current()")[0].decode(Int64.self, at: 0)
        XCTAssertEqual(again.map(\.outcome), Array(repeating: "existing", count: rows.count))
        XCTAssertEqual(again.map(\.customerId), results.map(\.customerId))
        XCTAssertLessThan(afterResend - beforeResend, 10, "the resend in one transaction (\(afterResend - beforeResend) ids)")
        let customers = try await fixture.count("SELECT count(*) FROM customers")
        XCTAssertEqual(customers, rows.count + 1)
    }

    /// One batch with a new row, a resent one, one whose phone another salesperson holds, one
    /// holding the caller's phone plus a new one, and one whose two phones two customers hold:
    /// only the resent row is decided in the batch ("existing"); the others that lose a phone
    /// are answered by the single-row path as CreateCustomer would answer them.
    func testRowsThatLoseAPhoneAreDecidedInTheBatchOnlyWhenTheyAreTheCallersOwn() async throws {
        let fixture = try await CustomersFixture.make(self)
        defer { fixture.close() }
        let mine = try await fixture.create(CustomersFixture.input("我的", phones: ["13911110001"], address: "我路1号"), by: try fixture.salesA)
        let theirs = try await fixture.create(CustomersFixture.input("别人的", phones: ["13911110002"], address: "别路2号"), by: try fixture.salesA2)
        let inputs = [CustomersFixture.input("新的", phones: ["13911110003"], address: "新路3号"),
                      CustomersFixture.input("我的", phones: ["13911110001"], address: "我路1号"),
                      CustomersFixture.input("抢的", phones: ["13911110002"], address: "抢路4号"),
                      CustomersFixture.input("加号", phones: ["13911110001", "13911110005"], address: "加路5号"),
                      CustomersFixture.input("两个", phones: ["13911110001", "13911110002"], address: "两路6号")]
        let rows = inputs.map { input -> Xsc_Customers_V1_ImportCustomerRow in
            var row = Xsc_Customers_V1_ImportCustomerRow()
            row.customer = input
            return row
        }
        let results = try await fixture.flow.importForTests(rows, actor: try fixture.salesA)
        XCTAssertEqual(results.map(\.outcome), ["created", "existing", "refused", "refused", "refused"])
        XCTAssertEqual(results[1].customerId, mine.customer!.id)
        XCTAssertEqual(results[2].error?.code, Int32(StatusCode.alreadyExists.rawValue))
        XCTAssertEqual(results[3].error?.code, Int32(StatusCode.alreadyExists.rawValue))
        XCTAssertEqual(results[4].error?.code, Int32(StatusCode.alreadyExists.rawValue))
        // The refusals went the single-row way: recorded against the other owner's customer.
        let attempts = try await fixture.count("SELECT count(*) FROM audit_entries WHERE kind = 'duplicate_attempt' AND customer_id = $1",
                                               [.text(theirs.customer!.id)])
        XCTAssertGreaterThanOrEqual(attempts, 1)
        let customers = try await fixture.count("SELECT count(*) FROM customers")
        XCTAssertEqual(customers, 3)
    }

    /// A batch whose transaction fails still answers every row (row by row), and says why once
    /// in the service's log: before session 9 nothing showed that an import ran 30x slower.
    func testAFailedBatchIsLoggedOnceAndItsRowsAnsweredOneByOne() async throws {
        let fixture = try await CustomersFixture.make(self)
        defer { fixture.close() }
        let sink = MemoryLogSink()
        let flow = CustomerFlow(pool: fixture.pool, clock: fixture.clock.now, logger: Logger(service: "customers", sink: sink))
        // Refuses any INSERT of more than one customer: the batch's INSERT ... SELECT fails, the
        // single-row path's inserts pass.
        _ = try await fixture.pool.query("""
            CREATE FUNCTION refuse_multirow() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                IF (SELECT count(*) FROM inserted) > 1 THEN RAISE EXCEPTION 'test trigger: no multi-row inserts'; END IF;
                RETURN NULL;
            END $$
            """)
        _ = try await fixture.pool.query("""
            CREATE TRIGGER refuse_multirow AFTER INSERT ON customers REFERENCING NEW TABLE AS inserted
            FOR EACH STATEMENT EXECUTE FUNCTION refuse_multirow()
            """)
        func rows(_ first: Int) -> [Xsc_Customers_V1_ImportCustomerRow] {
            var inputs = (first..<first + 5).map { CustomersFixture.input("失败批\($0)", phones: [String(format: "1571234%04d", $0)], address: "失败路\($0)号") }
            inputs.insert(CustomersFixture.input("坏电话", phones: ["12345"], address: "坏路1号"), at: 2)
            return inputs.map { var row = Xsc_Customers_V1_ImportCustomerRow(); row.customer = $0; return row }
        }
        func failures() -> [String] { sink.lines.filter { $0.contains("import batch failed") } }

        let before = try await fixture.pool.query("SELECT txid_current()")[0].decode(Int64.self, at: 0)
        let results = try await flow.importForTests(rows(0), actor: try fixture.salesA)
        let after = try await fixture.pool.query("SELECT txid_current()")[0].decode(Int64.self, at: 0)
        XCTAssertEqual(results.map(\.outcome), ["created", "created", "refused", "created", "created", "created"])
        XCTAssertEqual(results.map(\.index), [0, 1, 2, 3, 4, 5])
        XCTAssertEqual(results[2].error?.code, Int32(StatusCode.invalidArgument.rawValue))
        for result in results where result.outcome == "created" {
            let stored = try await flow.get(customerID: result.customerId, actor: try fixture.salesA).customer!
            XCTAssertTrue(stored.name.hasPrefix("失败批"))
        }
        XCTAssertGreaterThanOrEqual(after - before, 6, "the batch's transaction and one per row (\(after - before) ids)")
        XCTAssertEqual(failures().count, 1, "one line for the failed batch: \(sink.lines)")
        let line = failures().first ?? ""
        XCTAssertTrue(line.contains("test trigger: no multi-row inserts"), line)
        XCTAssertTrue(line.contains("\"batch_rows\":5"), line)

        // Without the trigger the batch goes through and nothing more is logged.
        _ = try await fixture.pool.query("DROP TRIGGER refuse_multirow ON customers")
        let again = try await flow.importForTests(rows(10), actor: try fixture.salesA)
        XCTAssertEqual(again.map(\.outcome), ["created", "created", "refused", "created", "created", "created"])
        XCTAssertEqual(failures().count, 1)
    }
}
