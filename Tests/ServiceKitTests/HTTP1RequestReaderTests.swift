import XCTest
@testable import ServiceKit

/// The public HTTP/1.1 listener's request framing, without sockets: what it accepts is narrow
/// on purpose (Content-Length only, one length, bounded head and body).
final class HTTP1RequestReaderTests: XCTestCase {
    private let reader = HTTP1RequestReader(parser: HTTPRequestParser(), maxBodyBytes: 16)

    private func read(_ text: String) -> HTTP1RequestReader.Outcome { reader.read(Array(text.utf8)) }

    func testABodyIsFramedByContentLengthAndTheRestStays() {
        guard case .request(let head, let body, let consumed) = read("POST /v1/orders?x=1 HTTP/1.1\r\nContent-Length: 2\r\n\r\n{}GET") else {
            return XCTFail("expected a request")
        }
        XCTAssertEqual(head.target, "/v1/orders?x=1")
        XCTAssertEqual(body, Array("{}".utf8))
        XCTAssertEqual(consumed, "POST /v1/orders?x=1 HTTP/1.1\r\nContent-Length: 2\r\n\r\n{}".utf8.count, "pipelined bytes stay")
    }

    func testIncompleteBodiesWaitAndExpectContinueIsSeen() {
        guard case .awaitingBody(let expects) = read("POST / HTTP/1.1\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n{}") else {
            return XCTFail("expected to wait")
        }
        XCTAssertTrue(expects)
        guard case .incomplete = read("POST / HTTP/1.1\r\nContent-Len") else { return XCTFail("expected incomplete") }
    }

    func testSmugglingShapesAndOversizeAreRefused() {
        let cases: [(String, Int)] = [
            ("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 501),
            ("POST / HTTP/1.1\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n{}", 400),
            ("POST / HTTP/1.1\r\nContent-Length: +2\r\n\r\n{}", 400),
            ("POST / HTTP/1.1\r\nContent-Length: 2, 2\r\n\r\n{}", 400),
            ("POST / HTTP/1.1\r\nContent-Length: 17\r\n\r\n", 413),
            ("GET / HTTP/1.1\r\nX: a\r\n b\r\n\r\n", 400),
            ("GET / HTTP/1.1\r\nX : a\r\n\r\n", 400),
            ("GET / HTTP/2.0\r\n\r\n", 505),
        ]
        for (text, status) in cases {
            guard case .invalid(let got, _) = read(text) else { XCTFail("accepted: \(text.debugDescription)"); continue }
            XCTAssertEqual(got, status, text.debugDescription)
        }
        var parser = HTTPRequestParser()
        parser.maxHeadBytes = 64
        let small = HTTP1RequestReader(parser: parser, maxBodyBytes: 16)
        guard case .invalid(431, _) = small.read(Array(("GET / HTTP/1.1\r\nX: " + String(repeating: "a", count: 100)).utf8)) else {
            return XCTFail("a long head must be refused before it ends")
        }
    }

    func testIdenticalRepeatedLengthsAreOneLength() {
        guard case .request(_, let body, _) = read("POST / HTTP/1.1\r\nContent-Length: 2\r\nContent-Length: 2\r\n\r\n{}") else {
            return XCTFail("expected a request")
        }
        XCTAssertEqual(body.count, 2)
    }
}
