@testable import CodeGen
import Foundation
import XCTest

final class NamingTests: XCTestCase {
    func testSwiftTypeAndFieldNames() {
        XCTAssertEqual(Naming.swiftPrefix(package: "bench.v1"), "Bench_V1_")
        XCTAssertEqual(Naming.swiftPrefix(package: "grpc.testing"), "Grpc_Testing_")
        XCTAssertEqual(Naming.swiftPrefix(package: ""), "")
        XCTAssertEqual(Naming.swiftFieldName("response_size"), "responseSize")
        XCTAssertEqual(Naming.swiftFieldName("created_at_unix_ms"), "createdAtUnixMs")
        XCTAssertEqual(Naming.swiftFieldName("o_int32"), "oInt32")
        XCTAssertEqual(Naming.swiftFieldName("default"), "`default`")
        XCTAssertEqual(Naming.swiftFieldName("type"), "type")
        XCTAssertEqual(Naming.swiftOneofTypeName("message_request"), "OneOf_MessageRequest")
        XCTAssertEqual(Naming.swiftMethodName("UnaryCall"), "unaryCall")
        XCTAssertEqual(Naming.swiftNestedTypeName("Type"), "Type_")
    }

    func testEnumCaseNamesDropTheEnumPrefix() {
        XCTAssertEqual(Naming.swiftEnumCaseName("COMPRESSABLE", enumName: "PayloadType"), "compressable")
        XCTAssertEqual(Naming.swiftEnumCaseName("NOT_SERVING", enumName: "ServingStatus"), "notServing")
        XCTAssertEqual(Naming.swiftEnumCaseName("COLOR_RED", enumName: "Color"), "red")
        XCTAssertEqual(Naming.swiftEnumCaseName("GRPCLB_ROUTE_TYPE_FALLBACK", enumName: "GrpclbRouteType"), "fallback")
        XCTAssertEqual(Naming.swiftEnumCaseName("ROLE_UNSPECIFIED", enumName: "Role"), "unspecified")
        XCTAssertEqual(Naming.swiftEnumCaseName("INTERNAL", enumName: "Code"), "`internal`")
        // A remainder starting with a digit is not a valid identifier: keep the prefix.
        XCTAssertEqual(Naming.swiftEnumCaseName("SIZE_1X", enumName: "Size"), "size1x")
    }

    func testCNamesFollowProtocC() {
        XCTAssertEqual(Naming.cTypeName(fullName: "bench.v1.Order"), "Bench__V1__Order")
        XCTAssertEqual(Naming.cTypeName(fullName: "xsc.codectest.v1.Everything.Nested"), "Xsc__Codectest__V1__Everything__Nested")
        XCTAssertEqual(Naming.cFunctionPrefix(fullName: "bench.v1.Order"), "bench__v1__order")
        XCTAssertEqual(Naming.cFunctionPrefix(fullName: "xsc.codectest.v1.TreeNode"), "xsc__codectest__v1__tree_node")
        XCTAssertEqual(Naming.cFunctionPrefix(fullName: "x.Everything.MStringStringEntry"), "x__everything__mstring_string_entry")
        XCTAssertEqual(Naming.cFunctionPrefix(fullName: "x.Everything.MInt32Int64Entry"), "x__everything__mint32_int64_entry")
        XCTAssertEqual(Naming.cFieldName("unit_price_cents"), "unit_price_cents")
        XCTAssertEqual(Naming.cFieldName("default"), "default_")
        XCTAssertEqual(Naming.cOneofCaseName("message_request"), "message_request_case")
    }

    /// Every message's C struct and init function, as we name them, exist in the headers
    /// protoc-c actually wrote (the committed Sources/CXSCProto).
    func testCNamesMatchTheCommittedProtocCOutput() throws {
        let files = try DescriptorParser.parseSet(DescriptorFixture.descriptorSet(DescriptorFixture.allProtoFiles()))
        let include = DescriptorFixture.repositoryRoot.appendingPathComponent("Sources/CXSCProto/include")
        var checked = 0
        for file in files {
            let header = include.appendingPathComponent(String(file.name.dropLast(6)) + ".pb-c.h")
            let text = try String(contentsOf: header, encoding: .utf8)
            func visit(_ message: MessageDescriptor, scope: String) {
                let fullName = scope + "." + message.name
                XCTAssertTrue(text.contains("struct  \(Naming.cTypeName(fullName: fullName))\n"), fullName)
                XCTAssertTrue(text.contains("void   \(Naming.cFunctionPrefix(fullName: fullName))__init\n"), fullName)
                checked += 1
                for nested in message.nestedMessages { visit(nested, scope: fullName) }
            }
            for message in file.messages { visit(message, scope: file.package) }
        }
        XCTAssertGreaterThan(checked, 50)
    }
}
