import HTTP2
import XCTest

/// Ending one stream (RST_STREAM) and ending the connection (GOAWAY), seen from the other side.
final class ResetAndGoawayTests: XCTestCase {
    private func pairWithOpenStream() throws -> (SessionPair, Int32) {
        let pair = try SessionPair()
        let stream = try pair.client.submitRequest(headers: SessionPair.requestHeaders())
        try pair.exchange()
        pair.server.clearEvents()
        pair.client.clearEvents()
        return (pair, stream)
    }

    /// Breaks if `resetStream` stops submitting RST_STREAM or sends another code than asked
    /// (a client's cancellation is how the server learns to stop a handler).
    func testAClientCancellationReachesTheServerWithItsCode() throws {
        let (pair, stream) = try pairWithOpenStream()
        pair.client.resetStream(streamID: stream, errorCode: HTTP2ErrorCode.cancel)
        try pair.exchange()
        XCTAssertEqual(pair.toServer.filter { $0.type == Frame.rstStream }.map(\.errorCode), [HTTP2ErrorCode.cancel])
        XCTAssertEqual(pair.server.eventSummary, ["closed \(stream) code \(HTTP2ErrorCode.cancel)"])
        XCTAssertEqual(pair.client.eventSummary, ["closed \(stream) code \(HTTP2ErrorCode.cancel)"])
    }

    /// Breaks if a reset leaves the queued body to be sent (or the queue to be counted) after
    /// the stream is gone.
    func testAServerResetDropsTheQueuedBody() throws {
        let (pair, stream) = try pairWithOpenStream()
        try pair.server.submitResponse(streamID: stream, headers: HTTP2HeaderList([(":status", "200")]), hasBody: true)
        pair.server.appendData(streamID: stream, [UInt8](repeating: 7, count: 10_000))
        pair.server.resetStream(streamID: stream, errorCode: HTTP2ErrorCode.internalError)
        XCTAssertEqual(pair.server.pendingBytes(streamID: stream), 0)
        try pair.exchange()
        XCTAssertTrue(pair.client.eventSummary.contains("closed \(stream) code \(HTTP2ErrorCode.internalError)"),
                      "\(pair.client.eventSummary)")
        XCTAssertEqual(pair.client.body(of: stream), [])
    }

    /// Breaks if GOAWAY names another stream than the last one the server processed (a client
    /// would retry a call that ran, or give up one that never did) or loses its error code.
    func testGoawayNamesTheLastProcessedStream() throws {
        let (pair, first) = try pairWithOpenStream()
        let second = try pair.client.submitRequest(headers: SessionPair.requestHeaders())
        try pair.exchange()
        pair.server.submitGoaway(errorCode: HTTP2ErrorCode.noError, debugMessage: "draining")
        try pair.exchange()
        XCTAssertEqual(pair.client.eventSummary.first, "goaway last \(second) code 0")
        XCTAssertGreaterThan(second, first)
        let goaway = try XCTUnwrap(pair.toClient.last { $0.type == Frame.goaway })
        XCTAssertEqual(Array(goaway.payload.dropFirst(8)), Array("draining".utf8), "the debug text travels")

        // After GOAWAY the client opens nothing new on this connection.
        pair.server.clearEvents()
        _ = try? pair.client.submitRequest(headers: SessionPair.requestHeaders())
        try pair.exchange()
        XCTAssertFalse(pair.server.eventSummary.contains { $0.hasPrefix("headers") }, "\(pair.server.eventSummary)")
    }

    /// A request the client sent before it could read the server's GOAWAY: the shutdown notice
    /// (GOAWAY naming stream 2^31-1) still lets it in, the final GOAWAY does not. Breaks if
    /// `submitShutdownNotice` sends the final GOAWAY (calls in flight would be lost in every
    /// graceful shutdown) or a client session could send a notice.
    func testTheShutdownNoticeLetsARequestInFlightThroughTheFinalGoawayDoesNot() throws {
        for final in [false, true] {
            let pair = try SessionPair()
            try pair.exchange()
            let stream = try pair.client.submitRequest(headers: SessionPair.requestHeaders())
            var inFlight: [UInt8] = []
            try pair.client.send(into: &inFlight)

            pair.client.submitShutdownNotice()  // servers only: a client has nothing to announce
            if final {
                pair.server.submitGoaway(errorCode: HTTP2ErrorCode.noError)
            } else {
                pair.server.submitShutdownNotice()
            }
            try pair.serverToClient()
            try pair.server.receive(inFlight[...])

            // After the final GOAWAY the client also learns its request was never processed
            // (REFUSED_STREAM), so the RPC layer may retry it on a new connection.
            let expected = final ? ["goaway last 0 code 0", "closed \(stream) code \(HTTP2ErrorCode.refusedStream)"]
                : ["goaway last \(Int32.max) code 0"]
            XCTAssertEqual(pair.client.eventSummary, expected, "final: \(final)")
            XCTAssertEqual(pair.toServer.filter { $0.type == Frame.goaway }.count, 0, "the client sent no GOAWAY")
            XCTAssertEqual(pair.server.eventSummary.contains { $0.hasPrefix("headers \(stream) ") }, !final,
                           "final: \(final), \(pair.server.eventSummary)")
        }
    }
}
