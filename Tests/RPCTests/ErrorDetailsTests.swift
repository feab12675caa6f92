import Messages
import XCTest
@testable import RPC

final class ErrorDetailsTests: XCTestCase {
    func testDetailsTravelAsGoogleRpcStatusWithTheSameCodeAndMessage() throws {
        var info = Google_Rpc_ErrorInfo()
        info.reason = "IDEMPOTENCY_KEY_REUSED"
        var badRequest = Google_Rpc_BadRequest()
        var violation = Google_Rpc_BadRequest.FieldViolation()
        violation.field = "phone"
        badRequest.fieldViolations = [violation]
        let error = RPCError.withDetails(.invalidArgument, "phone: not a mainland mobile", [badRequest, info])

        let status = try Google_Rpc_Status(serializedBytes: try XCTUnwrap(error.details))
        XCTAssertEqual(status.code, Int32(StatusCode.invalidArgument.rawValue))
        XCTAssertEqual(status.message, error.message)
        XCTAssertEqual(status.details.map(\.typeUrl), ["type.googleapis.com/google.rpc.BadRequest",
                                                       "type.googleapis.com/google.rpc.ErrorInfo"])
        XCTAssertEqual(error.detail(Google_Rpc_ErrorInfo.self)?.reason, "IDEMPOTENCY_KEY_REUSED")
        XCTAssertEqual(error.detail(Google_Rpc_BadRequest.self)?.fieldViolations.first?.field, "phone")
        XCTAssertNil(error.detail(Google_Rpc_RetryInfo.self))
    }
}
