@testable import HTTP2
import XCTest

/// Fields found by name with memcmp must be the ones a byte-by-byte comparison finds.
final class HeaderBlockLookupTests: XCTestCase {
    func testFirstIndexAndNameEqualsAgreeWithComparingBytes() {
        var block = HTTP2HeaderBlock()
        let fields = [(":path", "/p.S/M"), ("te", "trailers"), ("x-a-bin", "QUJD"), ("", "empty name"), ("x-a", "1"),
                      ("x-a-bin", "REVG"), ("traceparent", "00-1"), ("tracestate", "a=b")]
        for (name, value) in fields {
            let n = Array(name.utf8), v = Array(value.utf8)
            n.withUnsafeBufferPointer { n in v.withUnsafeBufferPointer { v in block.append(name: n, value: v) } }
        }
        let names = ["", ":path", "te", "t", "x-a", "x-a-bin", "x-a-bi", "traceparent", "tracestate", "missing", "X-A"]
        for name in names {
            for start in 0...(fields.count + 1) {
                let expected = (start..<max(start, fields.count)).first { fields[$0].0.utf8.elementsEqual(name.utf8) }
                XCTAssertEqual(block.firstIndex(named: name, from: start), expected, "\(name) from \(start)")
            }
            for index in fields.indices {
                XCTAssertEqual(block.nameEquals(index, name), fields[index].0 == name, "\(name) at \(index)")
            }
        }
    }
}
