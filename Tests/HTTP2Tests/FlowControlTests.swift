import HTTP2
import XCTest

/// The receive window a session advertises holds the peer's body back until WINDOW_UPDATEs
/// open it again; nothing is lost or repeated across the pauses.
final class FlowControlTests: XCTestCase {
    /// Breaks if `initialWindowSize` is not what the server advertises (the whole body would go
    /// in the first flight), if nghttp2 stops sending WINDOW_UPDATEs for consumed data (the body
    /// would stall), or if the client's queued bytes are lost or repeated across a deferral.
    func testABodyLargerThanTheWindowWaitsForWindowUpdatesAndArrivesWhole() throws {
        var serverSettings = HTTP2Settings()
        serverSettings.initialWindowSize = 16_384
        let pair = try SessionPair(server: serverSettings)
        try pair.exchange()
        let body = (0..<50_000).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ $0 >> 8) }
        let stream = try pair.client.submitRequest(headers: SessionPair.requestHeaders())
        pair.client.appendData(streamID: stream, body)
        pair.client.finish(streamID: stream, trailers: nil)

        let firstFlight = try pair.clientToServer().filter { $0.type == Frame.data }
        XCTAssertEqual(firstFlight.reduce(0) { $0 + $1.payload.count }, 16_384, "exactly one window's worth")
        XCTAssertEqual(pair.client.pendingBytes(streamID: stream), 50_000 - 16_384, "the rest waits in the client")

        let updates = try pair.serverToClient().filter { $0.type == Frame.windowUpdate && $0.streamID == stream }
        XCTAssertFalse(updates.isEmpty, "the server opens the stream's window again")
        try pair.exchange()

        XCTAssertEqual(pair.server.body(of: stream), body)
        XCTAssertTrue(pair.server.eventSummary.contains("endStream \(stream)"))
        XCTAssertEqual(pair.toServer.filter { $0.type == Frame.data }.reduce(0) { $0 + $1.payload.count }, body.count,
                       "no byte sent twice")
        XCTAssertGreaterThanOrEqual(pair.toClient.filter { $0.type == Frame.windowUpdate && $0.streamID == stream }.count, 2)
    }

    /// Breaks if a body queued before the stream's window opens is dropped instead of resumed
    /// (`appendData` on a deferred stream must call nghttp2_session_resume_data).
    func testBodyQueuedLaterResumesADeferredStream() throws {
        let pair = try SessionPair()
        let stream = try pair.client.submitRequest(headers: SessionPair.requestHeaders())
        try pair.exchange()  // headers go; the data provider finds nothing and defers
        XCTAssertEqual(pair.toServer.filter { $0.type == Frame.data }.count, 0)

        pair.client.appendData(streamID: stream, Array("late".utf8))
        try pair.exchange()
        XCTAssertEqual(String(decoding: pair.server.body(of: stream), as: UTF8.self), "late")
        pair.client.finish(streamID: stream, trailers: nil)
        try pair.exchange()
        XCTAssertEqual(pair.server.eventSummary.last, "endStream \(stream)")
    }
}
