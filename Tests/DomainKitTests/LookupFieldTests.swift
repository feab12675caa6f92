import DomainKit
import RPC
import XCTest

/// The one rule for lookup fields: shape before lookup, never echoing the value.
final class LookupFieldTests: XCTestCase {
    func testIDsAreCanonicalUUIDs() {
        XCTAssertNil(LookupField.problem("0f8fad5b-d9cb-469f-a165-70867728950e", .id))
        for bad in ["0F8FAD5B-D9CB-469F-A165-70867728950E", "0f8fad5bd9cb469fa16570867728950e", "x' OR '1'='1",
                    "0f8fad5b-d9cb-469f-a165-70867728950", "0f8fad5b-d9cb-469f-a165-70867728950e0", ""] {
            XCTAssertNotNil(LookupField.problem(bad, .id), bad)
        }
        XCTAssertNil(LookupField.problem("", .id, required: false))
    }

    func testOtherShapes() {
        XCTAssertNil(LookupField.problem("bj-500", .key))
        XCTAssertNil(LookupField.problem("svc-orders@cq:1", .key))
        XCTAssertNotNil(LookupField.problem("a b", .key))
        XCTAssertNotNil(LookupField.problem(String(repeating: "a", count: 129), .key))
        XCTAssertNil(LookupField.problem("1733550000000:0f8fad5b", .cursor))
        XCTAssertNotNil(LookupField.problem("'; DROP TABLE x; --", .cursor))
        XCTAssertNotNil(LookupField.problem(String(repeating: "A", count: 513), .cursor))
        XCTAssertNil(LookupField.problem("/hq/cq/cq-o1", .orgPath))
        XCTAssertNotNil(LookupField.problem("/hq/CQ", .orgPath))
        XCTAssertNil(LookupField.problem("A7K2", .code(maxLength: 8)))
        XCTAssertNotNil(LookupField.problem("A7K2A7K2A", .code(maxLength: 8)))
        XCTAssertNil(LookupField.problem("张三 x' OR 1=1", .text(maxBytes: 64)))
        XCTAssertNotNil(LookupField.problem(String(repeating: "张", count: 22), .text(maxBytes: 64)))
    }

    func testRefusalsNameEveryBadFieldAndNeverEchoTheValue() {
        let huge = String(repeating: "A", count: 1 << 20)
        do {
            try LookupField.check([("order_id", huge, .id), ("page.cursor", "ok", .cursor), ("sku_id", "x y", .key)])
            XCTFail("expected INVALID_ARGUMENT")
        } catch {
            XCTAssertEqual(error.code, .invalidArgument)
            XCTAssertTrue(error.message.hasPrefix("order_id: "), error.message)
            XCTAssertTrue(error.message.contains("sku_id: "), error.message)
            XCTAssertFalse(error.message.contains("page.cursor"))
            XCTAssertLessThan(error.message.utf8.count, 300, "the value is not echoed")
        }
        XCTAssertThrowsError(try LookupField.requireID("", "order_id"))
        XCTAssertNoThrow(try LookupField.requireID("0f8fad5b-d9cb-469f-a165-70867728950e", "order_id"))
    }
}
