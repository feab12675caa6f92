import XCTest
@testable import Gateway
import RPC
import Messages

final class ValidationTests: XCTestCase {
    func testMainlandMobileNumbersAreNormalised() {
        XCTAssertEqual(PhoneNumber.normalise("13812345678"), "13812345678")
        XCTAssertEqual(PhoneNumber.normalise("+86 138-1234-5678"), "13812345678")
        XCTAssertEqual(PhoneNumber.normalise("0086 19912345678"), "19912345678")
        XCTAssertEqual(PhoneNumber.normalise("8613812345678"), "13812345678")
    }

    func testJunkPhonesAreRefused() {
        for junk in ["", "1381234567", "138123456789", "12812345678", "23812345678", "1381234567x", "１３８１２３４５６７８", "010-12345678"] {
            XCTAssertNil(PhoneNumber.normalise(junk), junk)
        }
    }

    func testPathsAndSlugs() {
        XCTAssertTrue(OrgPaths.isValidPath("/hq/cq/cq-o1/cq-o1-d3/t7"))
        XCTAssertFalse(OrgPaths.isValidPath("/hq/cq/cq-o1/cq-o1-d3/t7/x"))
        XCTAssertFalse(OrgPaths.isValidPath("hq"))
        XCTAssertFalse(OrgPaths.isValidPath("/hq/"))
        XCTAssertFalse(OrgPaths.isValidPath("/hq/a%"))
        XCTAssertFalse(OrgPaths.isValidSlug("T7"))
        XCTAssertFalse(OrgPaths.isValidSlug("-t7"))
        XCTAssertTrue(OrgPaths.isWithin("/hq/cq/t1", "/hq/cq"))
        XCTAssertFalse(OrgPaths.isWithin("/hq/cq2", "/hq/cq"))
    }

    func testViolationsBecomeBadRequestDetails() throws {
        var violations = FieldViolations()
        violations.add("phone", "bad")
        violations.add("name", "required")
        do {
            try violations.check()
            XCTFail("expected INVALID_ARGUMENT")
        } catch {
            XCTAssertEqual(error.code, .invalidArgument)
            let status = try Google_Rpc_Status(serializedBytes: try XCTUnwrap(error.details))
            XCTAssertEqual(status.details.first?.typeUrl, "type.googleapis.com/google.rpc.BadRequest")
            let badRequest = try Google_Rpc_BadRequest(serializedBytes: try XCTUnwrap(status.details.first).value)
            XCTAssertEqual(badRequest.fieldViolations.map(\.field), ["phone", "name"])
        }
    }

    func testSecretTokensArePrefixedRandomAndHashed() {
        let a = SecretToken.generate(prefix: SecretToken.partnerKeyPrefix)
        let b = SecretToken.generate(prefix: SecretToken.partnerKeyPrefix)
        XCTAssertTrue(a.hasPrefix("xsc_pk_"))
        XCTAssertEqual(a.count, 7 + 64)
        XCTAssertNotEqual(a, b)
        XCTAssertEqual(SecretToken.sha256(a).count, 32)
        XCTAssertNotEqual(SecretToken.sha256(a), SecretToken.sha256(b))
    }

    func testBearerTokenParsing() {
        var metadata = Metadata()
        metadata.add("authorization", "Bearer  xsc_st_abc ")
        XCTAssertEqual(FrontDoor.bearerToken(metadata), "xsc_st_abc")
        XCTAssertNil(FrontDoor.bearerToken(Metadata([("authorization", "Basic abc")])))
        XCTAssertNil(FrontDoor.bearerToken(Metadata()))
    }
}
