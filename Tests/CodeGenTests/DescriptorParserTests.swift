@testable import CodeGen
import XCTest

final class DescriptorParserTests: XCTestCase {
    func testParsesBenchFile() throws {
        let files = try DescriptorParser.parseSet(DescriptorFixture.descriptorSet(["bench/v1/bench.proto"]))
        XCTAssertEqual(files.map(\.name), ["bench/v1/bench.proto"])
        let bench = files[0]
        XCTAssertEqual(bench.package, "bench.v1")
        XCTAssertEqual(bench.syntax, "proto3")
        XCTAssertEqual(bench.messages.map(\.name), ["Item", "Order"])
        let order = bench.messages[1]
        XCTAssertEqual(order.fields.map(\.number), Array(1...10))
        let items = try XCTUnwrap(order.fields.first { $0.name == "items" })
        XCTAssertEqual(items.label, .repeated)
        XCTAssertEqual(items.kind, .message)
        XCTAssertEqual(items.typeName, ".bench.v1.Item")
        let method = try XCTUnwrap(bench.services.first?.methods.first)
        XCTAssertEqual(method.name, "Echo")
        XCTAssertEqual(method.inputType, ".bench.v1.Order")
        XCTAssertFalse(method.clientStreaming || method.serverStreaming)
        XCTAssertFalse(bench.serialized.isEmpty)
    }

    func testParsesOneofOptionalMapsAndImports() throws {
        let files = try DescriptorParser.parseSet(DescriptorFixture.descriptorSet(["xsc/codectest/v1/features.proto"]))
        XCTAssertEqual(files.last?.name, "xsc/codectest/v1/features.proto")
        XCTAssertTrue(files.contains { $0.name == "google/protobuf/timestamp.proto" }, "imports included")
        let everything = try XCTUnwrap(files.last?.messages.first { $0.name == "Everything" })
        let oInt32 = try XCTUnwrap(everything.fields.first { $0.name == "o_int32" })
        XCTAssertTrue(oInt32.isProto3Optional)
        XCTAssertEqual(everything.oneofNames[try XCTUnwrap(oInt32.oneofIndex)], "_o_int32")
        let cString = try XCTUnwrap(everything.fields.first { $0.name == "c_string" })
        XCTAssertFalse(cString.isProto3Optional)
        XCTAssertEqual(everything.oneofNames[try XCTUnwrap(cString.oneofIndex)], "choice")
        let entry = try XCTUnwrap(everything.nestedMessages.first { $0.name == "MStringNestedEntry" })
        XCTAssertTrue(entry.isMapEntry)
        XCTAssertEqual(everything.fields.first { $0.name == "r_unpacked_int32" }?.packedOption, false)
        let color = try XCTUnwrap(files.last?.enums.first)
        XCTAssertEqual(color.values.map(\.number), [0, 1, 2, 3])
    }

    func testStreamingFlags() throws {
        let files = try DescriptorParser.parseSet(DescriptorFixture.descriptorSet(["grpc/testing/test.proto"]))
        let service = try XCTUnwrap(files.last?.services.first)
        let byName = Dictionary(uniqueKeysWithValues: service.methods.map { ($0.name, ($0.clientStreaming, $0.serverStreaming)) })
        XCTAssertEqual(byName["StreamingOutputCall"]?.0, false)
        XCTAssertEqual(byName["StreamingOutputCall"]?.1, true)
        XCTAssertEqual(byName["StreamingInputCall"]?.0, true)
        XCTAssertEqual(byName["StreamingInputCall"]?.1, false)
        XCTAssertEqual(byName["FullDuplexCall"]?.0, true)
        XCTAssertEqual(byName["FullDuplexCall"]?.1, true)
    }

    func testMalformedSetIsRejected() {
        XCTAssertThrowsError(try DescriptorParser.parseSet([0x0A, 0x10, 0x0A]))
        XCTAssertThrowsError(try DescriptorParser.parseSet([0x0A, 0x02, 0x20, 0xFF]))
    }
}
