import Foundation
import RPC
import Messages
import XCTest
@testable import XscCLI

final class OutputTests: XCTestCase {
    func testJSONKeepsKeyOrderAndEscapesWhatItMust() throws {
        let value = JSONValue.object([("b", .int(Int64(2))), ("a", .string("张\"三\"\n\u{1B}")), ("list", .array([.bool(true), .null]))])
        let text = value.rendered()
        XCTAssertTrue(text.hasPrefix("{\n  \"b\": 2,\n  \"a\": \"张\\\"三\\\"\\n\\u001b\""), text)
        let parsed = try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any]
        let a = parsed?["a"] as? String
        XCTAssertEqual(a, "张\"三\"\n\u{1B}")
        XCTAssertEqual(JSONValue.object([]).rendered(), "{}")
    }

    func testEnumNamesAreSnakeCaseAndParseBack() throws {
        XCTAssertEqual(EnumName.of(Xsc_Gateway_V1_AccountRole.officeOrderLead), "office_order_lead")
        XCTAssertEqual(EnumName.of(Xsc_Orders_V1_OrderState.received), "received")
        XCTAssertEqual(EnumName.of(Xsc_Orders_V1_OrderState.unrecognized(42)), "unknown_42")
        XCTAssertEqual(EnumName.of(Xsc_Orders_V1_OrderState.unspecified), "")
        XCTAssertEqual(try EnumName.parse("Family-Gathering", among: CustomerView.kinds, option: "--kind"), .familyGathering)
        XCTAssertThrowsError(try EnumName.parse("party", among: CustomerView.kinds, option: "--kind")) { error in
            XCTAssertTrue("\(error)".contains("reception, family_gathering, gift, self_consumption"), "\(error)")
        }
    }

    func testTimesAreTypedInShanghai() throws {
        let now = Date(timeIntervalSince1970: 1_765_000_000)
        let time = TimeText(environment: [:], now: now)
        XCTAssertEqual(try time.parse("2025-12-08 10:00", option: "--start"), 1_765_159_200_000)
        XCTAssertEqual(try time.parse("2025-12-08", option: "--start"), 1_765_123_200_000)
        XCTAssertEqual(try time.parse("+2h", option: "--start"), 1_765_000_000_000 + 7_200_000)
        XCTAssertEqual(try time.parse("+15s", option: "--start"), 1_765_000_015_000)
        XCTAssertEqual(time.show(1_765_159_200_000), "2025-12-08 10:00")
        XCTAssertEqual(time.show(0), "")
        XCTAssertThrowsError(try time.parse("next tuesday", option: "--start"))
        XCTAssertEqual(MoneyText.yuan(56_200), "¥562.00")
        XCTAssertEqual(MoneyText.yuan(-1204), "-¥12.04")
        XCTAssertEqual(MoneyText.yuan(5), "¥0.05")
    }

    func testEachKindOfRefusalHasItsExitStatusAndFieldsAreListed() {
        let statuses: [(StatusCode, Int32)] = [
            (.unauthenticated, 3), (.notFound, 4), (.failedPrecondition, 5), (.alreadyExists, 5), (.permissionDenied, 5),
            (.invalidArgument, 6), (.unavailable, 7), (.resourceExhausted, 7), (.deadlineExceeded, 7), (.internalError, 1),
        ]
        for (code, status) in statuses {
            XCTAssertEqual(RPCFailure(RPCError(code: code, message: "m"), gateway: "g").exitStatus, status, "\(code)")
        }
        var bad = Google_Rpc_BadRequest()
        var violation = Google_Rpc_BadRequest.FieldViolation()
        violation.field = "customer.phones[0]"
        violation.description = "not a mainland number"
        bad.fieldViolations = [violation]
        let failure = RPCFailure(RPCError.withDetails(.invalidArgument, "1 field", [bad]), gateway: "g",
                                 hints: [.notFound: "look elsewhere"])
        XCTAssertEqual(failure.sentence,
                       "the input was refused: 1 field\n  customer.phones[0]: not a mainland number\nwhat next: correct the fields listed and run the command again")
        let missing = RPCFailure(RPCError(code: .notFound, message: "no such order"), gateway: "g", hints: [.notFound: "look elsewhere"])
        XCTAssertEqual(missing.sentence, "not found, or not yours to see: no such order\nwhat next: look elsewhere")
    }
}
