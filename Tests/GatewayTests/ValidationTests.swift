import DomainKit
import XCTest
@testable import Gateway
import RPC
import Messages

final class ValidationTests: XCTestCase {
    func testPathsAndSlugs() {
        XCTAssertTrue(OrgPath.isValidPath("/hq/cq/cq-o1/cq-o1-d3/t7"))
        XCTAssertFalse(OrgPath.isValidPath("/hq/cq/cq-o1/cq-o1-d3/t7/x"))
        XCTAssertFalse(OrgPath.isValidPath("hq"))
        XCTAssertFalse(OrgPath.isValidPath("/hq/"))
        XCTAssertFalse(OrgPath.isValidPath("/hq/a%"))
        XCTAssertFalse(OrgPath.isValidSlug("T7"))
        XCTAssertFalse(OrgPath.isValidSlug("-t7"))
        XCTAssertTrue(OrgPath.isWithin("/hq/cq/t1", subtree: "/hq/cq"))
        XCTAssertFalse(OrgPath.isWithin("/hq/cq2", subtree: "/hq/cq"))
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
        // Read by byte: the same answers as splitting, lower-casing and trimming.
        for (header, token) in [("bearer xsc_pk_1", "xsc_pk_1"), ("BEARER xsc_pk_1", "xsc_pk_1"), ("  Bearer a b ", "a b"),
                                ("Bearer", nil), ("Bearer ", nil), ("Bearer    ", nil), ("Bearerx y", nil), ("Bearer\tx", nil),
                                ("Bear x", nil), ("", nil), ("Bearer x\u{e9}", "x\u{e9}")] as [(String, String?)] {
            XCTAssertEqual(FrontDoor.bearerToken(inHeader: header), token, header)
        }
    }
}
