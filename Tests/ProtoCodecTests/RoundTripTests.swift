import Messages
import ProtoCodec
import XCTest

/// Encode with our generated code + protobuf-c, decode the same way, compare values.
final class RoundTripTests: XCTestCase {
    private func roundTrip<M: ProtoMessage>(_ message: M, file: StaticString = #filePath, line: UInt = #line) throws {
        let arena = ProtoArena()
        var buffer: [UInt8] = []
        message.encode(appendingTo: &buffer, arena: arena)
        let decoded = try buffer.withUnsafeBytes { try M.decode($0, arena: arena) }
        XCTAssertEqual(decoded, message, file: file, line: line)
    }

    func testEveryFeatureRoundTrips() throws {
        try roundTrip(Samples.everything())
        try roundTrip(Samples.maps())
        try roundTrip(Samples.tree())
        try roundTrip(Samples.order())
    }

    func testDefaultMessageEncodesToNothing() throws {
        XCTAssertEqual(Xsc_Codectest_V1_Everything().serializedBytes(), [])
        XCTAssertEqual(try Xsc_Codectest_V1_Everything(serializedBytes: []), Xsc_Codectest_V1_Everything())
    }

    func testEachOneofCaseRoundTrips() throws {
        let cases: [Xsc_Codectest_V1_Everything.OneOf_Choice] = [
            .cString(""), .cString("x"), .cInt64(0), .cInt64(-5), .cNested(.init()), .cBytes([]), .cBytes([9]),
            .cColor(.unspecified), .cColor(.red), .cBool(false), .cBool(true),
        ]
        for choice in cases {
            var message = Xsc_Codectest_V1_Everything()
            message.choice = choice
            try roundTrip(message)
        }
    }

    func testEveryOptionalPresenceSurvives() throws {
        var message = Xsc_Codectest_V1_Everything()
        message.oInt32 = 0
        message.oString = ""
        message.oBytes = []
        message.oColor = .unspecified
        message.oDouble = 0
        message.oBool = false
        let decoded = try Xsc_Codectest_V1_Everything(serializedBytes: message.serializedBytes())
        XCTAssertEqual(decoded, message)
        XCTAssertNotNil(decoded.oBytes)
    }

    func testUnknownEnumValueIsKept() throws {
        var scalars = Xsc_Codectest_V1_Scalars()
        scalars.fColor = .unrecognized(77)
        let decoded = try Xsc_Codectest_V1_Scalars(serializedBytes: scalars.serializedBytes())
        XCTAssertEqual(decoded.fColor, .unrecognized(77))
        XCTAssertEqual(decoded.fColor.rawValue, 77)
    }

    func testNestedMessageTypeDecodesOnItsOwn() throws {
        var nested = Xsc_Codectest_V1_Everything.Nested()
        nested.label = "alone"
        nested.kind = .leaf
        try roundTrip(nested)
    }

    func testLargeMessageGrowsArenaAndStillRoundTrips() throws {
        var order = Samples.order()
        order.address = String(repeating: "长", count: 100_000)
        order.items = Array(repeating: order.items[0], count: 2_000)
        try roundTrip(order)
    }

    func testEncodeAppendsAfterExistingBytes() throws {
        var buffer: [UInt8] = [1, 2, 3]
        let arena = ProtoArena()
        Samples.order().encode(appendingTo: &buffer, arena: arena)
        XCTAssertEqual(Array(buffer.prefix(3)), [1, 2, 3])
        XCTAssertEqual(Array(buffer.dropFirst(3)), Samples.order().serializedBytes())
    }

    func testStandardMessagesRoundTrip() throws {
        var status = Google_Rpc_Status()
        status.code = 3
        status.message = "bad"
        var violation = Google_Rpc_BadRequest.FieldViolation()
        violation.field = "order.id"
        violation.description = "required"
        var badRequest = Google_Rpc_BadRequest()
        badRequest.fieldViolations = [violation]
        var any = Google_Protobuf_Any()
        any.typeUrl = "type.googleapis.com/google.rpc.BadRequest"
        any.value = badRequest.serializedBytes()
        status.details = [any]
        try roundTrip(status)
        var health = Grpc_Health_V1_HealthListResponse()
        var serving = Grpc_Health_V1_HealthCheckResponse()
        serving.status = .serving
        health.statuses = ["": serving, "bench.v1.Bench": Grpc_Health_V1_HealthCheckResponse()]
        try roundTrip(health)
    }
}
