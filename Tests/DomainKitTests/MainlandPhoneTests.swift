import DomainKit
import XCTest

/// One table of what people type, hostile and edge inputs included; every service gets these
/// answers because every service asks `MainlandPhone`.
final class MainlandPhoneTests: XCTestCase {
    private let accepted: [(input: String, digits: String, kind: MainlandPhone.Kind)] = [
        ("13812345678", "13812345678", .mobile),
        ("138 1234 5678", "13812345678", .mobile),
        ("138-1234-5678", "13812345678", .mobile),
        ("+86 138 1234 5678", "13812345678", .mobile),
        ("+8613812345678", "13812345678", .mobile),
        ("0086 138 1234 5678", "13812345678", .mobile),
        ("008613812345678", "13812345678", .mobile),
        ("86 13812345678", "13812345678", .mobile),
        ("8613812345678", "13812345678", .mobile),
        ("(138)1234-5678", "13812345678", .mobile),
        ("（138）1234－5678", "13812345678", .mobile),
        ("１３８１２３４５６７８", "13812345678", .mobile),
        ("＋８６ １３８１２３４５６７８", "13812345678", .mobile),
        ("\u{3000}13812345678\u{3000}", "13812345678", .mobile),
        (" \t13812345678\n", "13812345678", .mobile),
        ("138.1234.5678", "13812345678", .mobile),
        ("\u{FEFF}13812345678", "13812345678", .mobile),  // a byte-order mark pasted from a file
        ("19912345678", "19912345678", .mobile),
        ("023-88889999", "02388889999", .landline),
        ("(023) 8888 9999", "02388889999", .landline),
        ("010-12345678".replacingOccurrences(of: "1234", with: "6234"), "01062345678", .landline),
        ("0755-12345678".replacingOccurrences(of: "1234", with: "2234"), "075522345678", .landline),
        ("0871-6123456", "08716123456", .landline),
        ("+86 23 8888 9999", "02388889999", .landline),
        ("0086-23-88889999", "02388889999", .landline),
        ("86 23 88889999", "02388889999", .landline),
    ]

    private let refused: [String] = [
        "", " ", "12345", "1381234567", "138123456789", "12812345678", "11812345678",
        "+1 415 555 0100", "+8513812345678", "+86+13812345678", "138+12345678", "13812345678+",
        "13812345678 ext 1", "1381234567８a", "١٣٨١٢٣٤٥٦٧٨" /* Arabic-Indic digits */, "138\u{0}12345678",
        "138\u{200B}12345678", "13812345678; DROP TABLE customers", "' OR 1=1 --", "0000000000",
        "023-08889999", "023-18889999", "023-8888999", "0755-123456", "011-62345678", "00-62345678",
        "86123456789", String(repeating: "1", count: 100), "+86",
    ]

    func testAcceptedSpellingsNormaliseToOneForm() {
        for row in accepted {
            let phone = MainlandPhone(row.input)
            XCTAssertEqual(phone?.digits, row.digits, "input \(row.input.debugDescription)")
            XCTAssertEqual(phone?.kind, row.kind, "input \(row.input.debugDescription)")
            XCTAssertNil(MainlandPhone.problem(with: row.input), "input \(row.input.debugDescription)")
        }
    }

    func testRefusedInputsHaveAProblemNamingThem() {
        for input in refused {
            XCTAssertNil(MainlandPhone(input), "input \(input.debugDescription)")
            let problem = MainlandPhone.problem(with: input)
            XCTAssertNotNil(problem, "input \(input.debugDescription)")
        }
        XCTAssertEqual(MainlandPhone.problem(with: " "), "required: a mainland phone number")
        XCTAssertTrue(MainlandPhone.problem(with: "12345")!.hasSuffix(": 12345"))
    }

    func testMobileOnlyRefusesLandlines() {
        XCTAssertNil(MainlandPhone(mobile: "023-88889999"))
        XCTAssertEqual(MainlandPhone(mobile: "+86 138 1234 5678")?.digits, "13812345678")
        XCTAssertTrue(MainlandPhone.problem(with: "023-88889999", mobileOnly: true)!.contains("not a landline"))
    }

    func testMaskedFormShowsThreeAndFourDigits() {
        XCTAssertEqual(MainlandPhone("13812345678")?.masked, "138****5678")
        XCTAssertEqual(MainlandPhone("023-88889999")?.masked, "023****9999")
        XCTAssertEqual("\(MainlandPhone("13812345678")!)", "138****5678")
    }
}
