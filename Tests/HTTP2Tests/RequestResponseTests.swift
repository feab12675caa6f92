import HTTP2
import XCTest

/// A call's frames becoming events on the other side, in order.
final class RequestResponseTests: XCTestCase {
    /// Breaks if the header callbacks lose or mix up fields, if DATA chunks are not recorded
    /// (or recorded out of order), or if END_STREAM on the last DATA frame is not reported.
    func testARequestsHeadersBodyAndEndArriveAsEvents() throws {
        let pair = try SessionPair()
        try pair.exchange()
        let stream = try pair.client.submitRequest(headers: SessionPair.requestHeaders(path: "/xsc.orders.v1.OrderService/GetOrder"))
        pair.client.appendData(streamID: stream, Array("hello, ".utf8))
        pair.client.appendData(streamID: stream, Array("world".utf8))
        pair.client.finish(streamID: stream, trailers: nil)
        try pair.exchange()

        let events = pair.server.eventSummary.filter { !$0.hasPrefix("data") }
        XCTAssertEqual(events, [
            "headers \(stream) [:method=POST :scheme=http :path=/xsc.orders.v1.OrderService/GetOrder :authority=localhost "
                + "content-type=application/grpc te=trailers]",
            "endStream \(stream)",
        ])
        XCTAssertEqual(String(decoding: pair.server.body(of: stream), as: UTF8.self), "hello, world")
        guard case .headers(_, let block, _) = try XCTUnwrap(pair.server.events.first) else { return XCTFail("no headers") }
        XCTAssertEqual(block.value(named: ":path").map { String(decoding: $0, as: UTF8.self) }, "/xsc.orders.v1.OrderService/GetOrder")
    }

    /// Breaks if `finish` with trailers sends END_STREAM on the DATA frame instead of a
    /// trailing HEADERS (gRPC's status would be lost), or the stream is not reported closed.
    func testAResponsesHeadersBodyAndTrailersArriveAsEventsThenTheStreamCloses() throws {
        let pair = try SessionPair()
        let stream = try pair.client.submitRequest(headers: SessionPair.requestHeaders())
        pair.client.finish(streamID: stream, trailers: nil)
        try pair.exchange()

        try pair.server.submitResponse(streamID: stream, headers: HTTP2HeaderList([(":status", "200"), ("content-type", "application/grpc")]),
                                       hasBody: true)
        pair.server.appendData(streamID: stream, [0, 0, 0, 0, 2, 8, 1])
        pair.server.finish(streamID: stream, trailers: HTTP2HeaderList([("grpc-status", "0"), ("grpc-message", "fine")]))
        XCTAssertEqual(pair.server.pendingBytes(streamID: stream), 7, "queued until nghttp2 pulls it")
        try pair.exchange()

        XCTAssertEqual(pair.client.eventSummary, [
            "headers \(stream) [:status=200 content-type=application/grpc]",
            "data \(stream) 7",
            "headers \(stream) [grpc-status=0 grpc-message=fine] end",
            "closed \(stream) code 0",
        ])
        XCTAssertEqual(pair.client.body(of: stream), [0, 0, 0, 0, 2, 8, 1])
        XCTAssertTrue(pair.server.eventSummary.contains("closed \(stream) code 0"))
        XCTAssertEqual(pair.server.pendingBytes(streamID: stream), 0, "the body object goes with the stream")
    }

    /// Breaks if a response without a body does not end the stream with its headers (gRPC's
    /// trailers-only answer, how every error is sent).
    func testATrailersOnlyResponseEndsTheStreamWithItsHeaders() throws {
        let pair = try SessionPair()
        let stream = try pair.client.submitRequest(headers: SessionPair.requestHeaders())
        pair.client.finish(streamID: stream, trailers: nil)
        try pair.exchange()
        try pair.server.submitResponse(streamID: stream, headers: HTTP2HeaderList([(":status", "200"), ("grpc-status", "5")]),
                                       hasBody: false)
        try pair.exchange()
        XCTAssertEqual(pair.client.eventSummary, ["headers \(stream) [:status=200 grpc-status=5] end", "closed \(stream) code 0"])
        XCTAssertEqual(pair.toClient.filter { $0.type == Frame.data }.count, 0)
    }

    /// Breaks if the ping callbacks stop recording (the server's ping policy counts them) or
    /// nghttp2's automatic answer is switched off.
    func testAPingIsReportedAndAnsweredByTheLibrary() throws {
        let pair = try SessionPair()
        try pair.exchange()
        pair.client.submitPing()
        try pair.exchange()
        XCTAssertEqual(pair.server.eventSummary, ["ping"])
        XCTAssertEqual(pair.client.eventSummary, ["pingAck"])
    }
}
