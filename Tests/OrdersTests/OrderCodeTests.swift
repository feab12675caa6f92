import Orders
import Postgres
import XCTest

/// Order codes (migration 0007): each has a letter, so notifications accepts it in a prompt
/// and a lead's reply quoting it reads as a code; none repeats, and none equals a six-character
/// code issued before 0007.
final class OrderCodeTests: XCTestCase {
    private var fixture: OrdersFixture!

    override func setUp() async throws { fixture = try await OrdersFixture.make(self) }
    override func tearDown() async throws { fixture?.close() }

    func testEveryCodeHasALetterAndNoneRepeats() async throws {
        // 500,000 sequence numbers, including the first one that made a digits-only code
        // under 0002 (found by the crash-recovery wire test at about the 240th order).
        let rows = try await fixture.pool.query("""
            SELECT count(*), count(DISTINCT c), count(*) FILTER (WHERE c !~ '^[A-Z][2-9A-Z]{6}$'),
                   count(*) FILTER (WHERE c !~ '[A-Z]')
            FROM (SELECT order_short_code(n) AS c FROM generate_series(1, 500000) AS n) AS codes
            """)
        XCTAssertEqual(try rows[0].decode(Int64.self, at: 0), 500_000)
        XCTAssertEqual(try rows[0].decode(Int64.self, at: 1), 500_000, "codes repeat")
        XCTAssertEqual(try rows[0].decode(Int64.self, at: 2), 0, "codes are a letter and six letters or digits")
        XCTAssertEqual(try rows[0].decode(Int64.self, at: 3), 0, "codes without a letter")
    }
}
