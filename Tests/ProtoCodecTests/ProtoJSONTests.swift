import Messages
import ProtoCodec
import XCTest

/// The proto3 JSON mapping generated for every message (JSONEmitter + ProtoCodec/JSON).
final class ProtoJSONTests: XCTestCase {
    private func roundTrip<M: ProtoJSONMessage>(_ message: M, file: StaticString = #filePath, line: UInt = #line) throws {
        let text = message.jsonText()
        let back = try M(jsonText: text)
        XCTAssertEqual(back, message, String(decoding: text, as: UTF8.self), file: file, line: line)
    }

    func testEveryFieldKindRoundTrips() throws {
        try roundTrip(Samples.everything())
        try roundTrip(Samples.maps())
        try roundTrip(Samples.tree())
        try roundTrip(Xsc_Codectest_V1_Everything())
    }

    func testNamesInt64AndEnumsFollowTheMapping() throws {
        let json = Samples.everything().protoJSON()
        guard case .object(let scalars)? = json["scalars"] else { return XCTFail("no scalars") }
        let members = Dictionary(scalars, uniquingKeysWith: { first, _ in first })
        XCTAssertEqual(members["fInt64"], .string("-9000000000"), "int64 is a string")
        XCTAssertEqual(members["fUint64"], .string("18446744073709551615"))
        XCTAssertEqual(members["fInt32"], .number("-42"), "int32 is a number")
        XCTAssertEqual(members["fColor"], .string("COLOR_BLUE"), "enums by name")
        XCTAssertEqual(members["fBytes"], .string("AAEC/w=="), "bytes as base64")
        XCTAssertNil(members["f_int64"], "lowerCamel names only on output")
        XCTAssertEqual(json["createdAt"], .string("2024-06-10T06:13:20.000000005Z"), "Timestamp as RFC 3339")
        XCTAssertEqual(json["nothing"], .object([]))
        XCTAssertEqual(json["oInt32"], .number("0"), "a set optional field is written even at its default")
        XCTAssertNil(Xsc_Codectest_V1_Scalars().protoJSON()["fInt32"], "defaults are omitted")
    }

    func testInt64BeyondDoublePrecisionSurvives() throws {
        let text = #"{"fInt64": "9007199254740993", "fUint64": 18446744073709551615, "fSint64": "-9223372036854775808"}"#
        let scalars = try Xsc_Codectest_V1_Scalars(jsonText: Array(text.utf8))
        XCTAssertEqual(scalars.fInt64, 9_007_199_254_740_993)
        XCTAssertEqual(scalars.fUint64, .max)
        XCTAssertEqual(scalars.fSint64, .min)
        XCTAssertThrowsError(try Xsc_Codectest_V1_Scalars(jsonText: Array(#"{"fInt64": "9223372036854775808"}"#.utf8)))
        XCTAssertThrowsError(try Xsc_Codectest_V1_Scalars(jsonText: Array(#"{"fInt32": 2147483648}"#.utf8)))
        XCTAssertThrowsError(try Xsc_Codectest_V1_Scalars(jsonText: Array(#"{"fInt32": 1.5}"#.utf8)))
        XCTAssertEqual(try Xsc_Codectest_V1_Scalars(jsonText: Array(#"{"fInt32": "12", "fUint32": 1e3}"#.utf8)).fUint32, 1000)
    }

    func testEnumsByNameOrNumberAndProtoNamesAccepted() throws {
        let text = #"{"f_color": 2, "fString": "s", "f_bool": true}"#
        let scalars = try Xsc_Codectest_V1_Scalars(jsonText: Array(text.utf8))
        XCTAssertEqual(scalars.fColor, .green)
        XCTAssertEqual(scalars.fString, "s")
        XCTAssertTrue(scalars.fBool)
        let unknownNumber = try Xsc_Codectest_V1_Scalars(jsonText: Array(#"{"fColor": 77}"#.utf8))
        XCTAssertEqual(unknownNumber.fColor.rawValue, 77, "proto3 enums are open")
        XCTAssertEqual(unknownNumber.protoJSON()["fColor"], .number("77"))
        XCTAssertThrowsError(try Xsc_Codectest_V1_Scalars(jsonText: Array(#"{"fColor": "COLOR_PURPLE"}"#.utf8))) { error in
            XCTAssertEqual((error as? ProtoJSONError)?.path, "fColor")
        }
    }

    func testUnknownFieldsAreRefusedUnlessIgnored() throws {
        let text = Array(#"{"fString": "x", "colour": "red"}"#.utf8)
        XCTAssertThrowsError(try Xsc_Codectest_V1_Scalars(jsonText: text)) { error in
            XCTAssertEqual(error as? ProtoJSONError, ProtoJSONError(path: "colour", reason: "unknown field"))
        }
        let lenient = try Xsc_Codectest_V1_Scalars(jsonText: text, options: ProtoJSONOptions(ignoreUnknownFields: true))
        XCTAssertEqual(lenient.fString, "x")
    }

    func testErrorsNameTheMemberPath() {
        let text = Array(#"{"lines": [{"skuId": "a", "quantity": 1}, {"quantity": "many"}]}"#.utf8)
        XCTAssertThrowsError(try Xsc_Orders_V1_SubmitOrderRequest(jsonText: text)) { error in
            XCTAssertEqual((error as? ProtoJSONError)?.path, "lines[1].quantity")
        }
        XCTAssertThrowsError(try Xsc_Orders_V1_SubmitOrderRequest(jsonText: Array(#"{"customer": "Wang"}"#.utf8))) { error in
            XCTAssertEqual((error as? ProtoJSONError)?.path, "customer")
        }
        XCTAssertThrowsError(try Xsc_Codectest_V1_Everything(jsonText: Array(#"{"cString": "a", "cInt64": "1"}"#.utf8)),
                             "two members of one oneof")
    }

    func testAnyCarriesTypeAndMembers() throws {
        var violation = Google_Rpc_BadRequest.FieldViolation()
        violation.field = "customer.phone"
        violation.description = "not a mainland mobile number"
        var badRequest = Google_Rpc_BadRequest()
        badRequest.fieldViolations = [violation]
        var any = Google_Protobuf_Any()
        any.typeUrl = "type.googleapis.com/google.rpc.BadRequest"
        any.value = badRequest.serializedBytes()
        var status = Google_Rpc_Status()
        status.code = 3
        status.message = "invalid"
        status.details = [any]
        let text = String(decoding: status.jsonText(), as: UTF8.self)
        XCTAssertEqual(text, #"{"code":3,"message":"invalid","details":[{"@type":"type.googleapis.com/google.rpc.BadRequest","#
                       + #""fieldViolations":[{"field":"customer.phone","description":"not a mainland mobile number"}]}]}"#)
        try roundTrip(status)
        var duration = Google_Protobuf_Any()
        duration.typeUrl = "type.googleapis.com/google.protobuf.Duration"
        var value = Google_Protobuf_Duration()
        value.seconds = 1
        value.nanos = 500_000_000
        duration.value = value.serializedBytes()
        XCTAssertEqual(duration.protoJSON(), .object([("@type", .string("type.googleapis.com/google.protobuf.Duration")), ("value", .string("1.500s"))]))
        try roundTrip(duration)
    }

    func testTimestampsAndDurations() throws {
        let parsed = try Google_Protobuf_Timestamp(jsonText: Array(#""2025-01-31T16:00:00.5+08:00""#.utf8))
        XCTAssertEqual(parsed.seconds, 1_738_310_400)
        XCTAssertEqual(parsed.nanos, 500_000_000)
        XCTAssertEqual(parsed.protoJSON(), .string("2025-01-31T08:00:00.500Z"))
        var early = Google_Protobuf_Timestamp()
        early.seconds = -1
        XCTAssertEqual(early.protoJSON(), .string("1969-12-31T23:59:59Z"))
        try roundTrip(early)
        XCTAssertThrowsError(try Google_Protobuf_Timestamp(jsonText: Array(#""2025-13-01T00:00:00Z""#.utf8)))
        let negative = try Google_Protobuf_Duration(jsonText: Array(#""-1.000000001s""#.utf8))
        XCTAssertEqual(negative.seconds, -1)
        XCTAssertEqual(negative.nanos, -1)
        XCTAssertEqual(negative.protoJSON(), .string("-1.000000001s"))
    }

    func testParserIsStrictAndBounded() {
        let deep = Array(repeating: UInt8(ascii: "["), count: 100) + Array(repeating: UInt8(ascii: "]"), count: 100)
        XCTAssertThrowsError(try JSONParser.parse(deep), "depth limit")
        XCTAssertThrowsError(try JSONParser.parse(Array(#"{"a":1,}"#.utf8)), "trailing comma")
        XCTAssertThrowsError(try JSONParser.parse(Array(#"{"a":01}"#.utf8)), "leading zero")
        XCTAssertThrowsError(try JSONParser.parse([0x22, 0xC3, 0x28, 0x22]), "invalid UTF-8")
        XCTAssertThrowsError(try JSONParser.parse(Array(#""\ud800""#.utf8)), "lone surrogate")
        XCTAssertThrowsError(try JSONParser.parse(Array("{} x".utf8)), "trailing data")
        XCTAssertEqual(try JSONParser.parse(Array(#""\ud83d\ude00 \u4e2d""#.utf8)), .string("😀 中"))
        XCTAssertEqual(JSONValue.string("a\"\n\u{2028}").text, #""a\"\n\u2028""#)
    }

    /// Not a pass/fail check: the JSON mapping's cost next to the protobuf-c binary form of the
    /// same message, measured in the same run (printed for docs; no threshold).
    func testPrintsTheMappingCostNextToProtobuf() throws {
        var order = Xsc_Orders_V1_Order()
        order.id = "01J8ZK3Q7W9X"; order.code = "BDKH6CB"; order.source = .mall; order.partnerId = "drill-mall"
        order.customer = { var c = Xsc_Orders_V1_Customer(); c.name = "顾客 周"; c.phone = "13700000001"; c.address = "重庆市渝中区解放碑 1 号"; return c }()
        order.lines = (0..<3).map { index in
            var line = Xsc_Orders_V1_OrderLine(); line.skuId = "sku-\(index)"; line.quantity = 2; line.unitPriceFen = 52800; return line
        }
        order.state = .accepted; order.totalFen = 316_800; order.createdAtMs = 1_796_614_943_240; order.updatedAtMs = 1_796_614_943_999
        let rounds = 5000
        func measure(_ body: () throws -> Void) rethrows -> Double {
            let start = ContinuousClock.now
            for _ in 0..<rounds { try body() }
            let (seconds, attoseconds) = (ContinuousClock.now - start).components
            return (Double(seconds) * 1e6 + Double(attoseconds) / 1e12) / Double(rounds)
        }
        let json = order.jsonText()
        let binary = order.serializedBytes()
        let jsonOut = measure { _ = order.jsonText() }
        let jsonIn = try measure { _ = try Xsc_Orders_V1_Order(jsonText: json) }
        let binaryOut = measure { _ = order.serializedBytes() }
        let binaryIn = try measure { _ = try Xsc_Orders_V1_Order(serializedBytes: binary) }
        let us = { (value: Double) in String(Int(value.rounded())) }
        print("proto3 JSON vs protobuf, one Order (\(json.count) vs \(binary.count) bytes), us per message: "
              + "encode \(us(jsonOut)) vs \(us(binaryOut)), decode \(us(jsonIn)) vs \(us(binaryIn))")
        XCTAssertEqual(try Xsc_Orders_V1_Order(jsonText: json), order)
    }
}
