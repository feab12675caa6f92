import Customers
import Messages
import RPC
import XCTest

/// ImportCustomers writes two batches at once (ImportPipeline). Rows of a later batch that
/// repeat a phone of the batch still in flight, hold a neighbour swap of one, or have the same
/// name and address as one of its rows must come out as if the stream had been written row by
/// row: "existing" for the repeat, the look-alike flagged against the earlier row. With both
/// batches uncommitted the database sees none of this; the pipeline must.
final class ImportPipelineTests: XCTestCase {
    /// "158", seven digits of `index` and a check digit (weights 1,2,1,2,... over all eleven
    /// digits, sum 0 mod 10): no two of these phones are neighbour swaps of each other, so the
    /// look-alikes of the stream are the ones the test makes (and the neighbours of its
    /// swapped phones, which the test works out like a row-by-row import would).
    static func phone(_ index: Int) -> String {
        let body = "158" + String(format: "%07d", index)
        let sum = body.enumerated().reduce(0) { $0 + ($1.offset % 2 == 0 ? 1 : 2) * Int(String($1.element))! }
        return body + String((10 - sum % 10) % 10)
    }

    /// `phone` with its last two different neighbouring digits before the check digit swapped.
    static func swapped(_ phone: String) -> String {
        var digits = Array(phone)
        let at = (3..<9).last { digits[$0] != digits[$0 + 1] }!
        digits.swapAt(at, at + 1)
        return String(digits)
    }

    static func neighbours(_ a: String, _ b: String) -> Bool {
        let x = Array(a), y = Array(b)
        guard x.count == y.count else { return false }
        let differ = x.indices.filter { x[$0] != y[$0] }
        return differ.count == 2 && differ[1] == differ[0] + 1 && x[differ[0]] == y[differ[1]] && x[differ[1]] == y[differ[0]]
    }

    func testRowsMeetingTheBatchInFlightComeOutAsIfWrittenOneByOne() async throws {
        let fixture = try await CustomersFixture.make(self)
        defer { fixture.close() }
        try await checkStream(fixture, flow: fixture.flow)
    }

    func testThreeBatchesInFlightLikewise() async throws {
        let fixture = try await CustomersFixture.make(self)
        defer { fixture.close() }
        try await checkStream(fixture, flow: CustomerFlow(pool: fixture.pool, clock: fixture.clock.now, importBatchesInFlight: 3))
    }

    func checkStream(_ fixture: CustomersFixture, flow: CustomerFlow) async throws {
        let count = 4_600
        var inputs = (0..<count).map { CustomersFixture.input("导入\($0)", phones: [Self.phone($0)], address: "导入路\($0)号") }
        // Batches 2-4 (rows 1000-3999) only resemble the batch before them: a repeated phone would
        // make the phone INSERT wait for that batch's commit, and the look-alike lookup after it
        // would then see that batch. The last batch repeats phones of the one before it too.
        var swappedRows: [Int] = []
        var sameNames: [(Int, Int)] = []
        for base in [1_000, 2_000, 3_000, 4_000] {
            inputs[base + 500].phones = [Self.swapped(Self.phone(base - 990))]
            swappedRows.append(base + 500)
            inputs[base + 300].phones = [Self.swapped(Self.phone(base - 700))]
            swappedRows.append(base + 300)
            inputs[base + 200].name = "导入\(base - 980)"
            inputs[base + 200].address = "导入路 \(base - 980) 号"
            sameNames.append((base + 200, base - 980))
            guard base >= 2_000 else { continue }
            // And the batch two before (in flight too when three are).
            inputs[base + 400].phones = [Self.swapped(Self.phone(base - 1_900))]
            swappedRows.append(base + 400)
            inputs[base + 150].name = "导入\(base - 1_950)"
            inputs[base + 150].address = "导入路\(base - 1_950) 号"
            sameNames.append((base + 150, base - 1_950))
        }
        var repeats: [Int: Int] = [:] // row -> the earlier row whose phone it repeats
        for (row, earlier) in [(4_000, 3_000), (4_001, 3_001), (4_100, 3_200), (4_599, 3_999)] {
            inputs[row].phones = [Self.phone(earlier)]
            repeats[row] = earlier
        }
        let rows = inputs.map { input -> Xsc_Customers_V1_ImportCustomerRow in
            var row = Xsc_Customers_V1_ImportCustomerRow()
            row.customer = input
            return row
        }
        let results = try await flow.importForTests(rows, actor: try fixture.salesA)
        XCTAssertEqual(results.map(\.index), (0..<count).map(Int32.init))
        for (offset, result) in results.enumerated() {
            if let earlier = repeats[offset] {
                XCTAssertEqual(result.outcome, "existing", "row \(offset)")
                XCTAssertEqual(result.customerId, results[earlier].customerId, "row \(offset)")
            } else {
                XCTAssertEqual(result.outcome, "created", "row \(offset): \(result.error?.message ?? "")")
            }
        }
        let customers = try await fixture.count("SELECT count(*) FROM customers")
        XCTAssertEqual(customers, count - repeats.count)
        let flags = try await fixture.pool.query("SELECT customer_id, similar_customer_id, reason FROM near_duplicates ORDER BY created_at, id")
        let found = Set(try flags.map { [try $0.decode(String.self, at: 0), try $0.decode(String.self, at: 1), try $0.decode(String.self, at: 2)] })
        // Row by row, each created row is flagged against every earlier created row it resembles.
        var expected = Set(sameNames.map { [results[$0.0].customerId, results[$0.1].customerId, "same_name_address"] })
        let created = results.indices.filter { repeats[$0] == nil }
        for later in swappedRows {
            for earlier in created where earlier < later && Self.neighbours(inputs[earlier].phones[0], inputs[later].phones[0]) {
                expected.insert([results[later].customerId, results[earlier].customerId, "phone_transposition"])
            }
        }
        XCTAssertTrue(expected.contains([results[1_500].customerId, results[10].customerId, "phone_transposition"]))
        XCTAssertEqual(found, expected)

        // Sent again, every row is someone's already: all "existing", nothing new.
        let again = try await flow.importForTests(rows, actor: try fixture.salesA)
        XCTAssertEqual(Set(again.map(\.outcome)), ["existing"])
        XCTAssertEqual(again.map(\.customerId), results.map(\.customerId))
        let after = try await fixture.count("SELECT count(*) FROM customers")
        XCTAssertEqual(after, customers)
    }
}
