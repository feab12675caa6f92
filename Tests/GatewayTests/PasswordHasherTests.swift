import XCTest
@testable import Gateway

final class PasswordHasherTests: XCTestCase {
    private let hasher = PasswordHasher(cost: .testing)

    func testRightPasswordVerifiesAndWrongOneDoesNot() throws {
        let stored = try hasher.hash("correct horse battery")
        XCTAssertTrue(hasher.verify("correct horse battery", against: stored))
        XCTAssertFalse(hasher.verify("correct horse batterz", against: stored))
        XCTAssertFalse(hasher.verify("", against: stored))
    }

    func testSaltedSoEqualPasswordsHashDifferently() throws {
        let first = try hasher.hash("same password 1")
        let second = try hasher.hash("same password 1")
        XCTAssertNotEqual(first, second)
        XCTAssertTrue(first.hasPrefix("scrypt$10$8$1$"))
        XCTAssertFalse(first.contains("same password"))
    }

    func testStoredCostIsUsedForVerification() throws {
        let stored = try PasswordHasher(cost: PasswordHasher.Cost(log2N: 11, blockSize: 8, parallelism: 1)).hash("pw-0123456789")
        XCTAssertTrue(hasher.verify("pw-0123456789", against: stored))
    }

    func testUnreadableStoredValuesNeverVerify() {
        XCTAssertFalse(hasher.verify("x", against: ""))
        XCTAssertFalse(hasher.verify("x", against: "bcrypt$whatever"))
        XCTAssertFalse(hasher.verify("x", against: "scrypt$99$8$1$AAAA$AAAA"))
        XCTAssertFalse(hasher.verify("x", against: hasher.decoyHash() + "x"))
    }
}
