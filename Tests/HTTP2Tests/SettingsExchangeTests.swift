import HTTP2
import XCTest

/// What a session advertises in its first SETTINGS, and what the peer learns from it.
final class SettingsExchangeTests: XCTestCase {
    private static let maxConcurrentStreams: UInt16 = 0x3, initialWindowSize: UInt16 = 0x4
    private static let enablePush: UInt16 = 0x2, maxHeaderListSize: UInt16 = 0x6

    private func settings(streams: UInt32 = 7, headerList: UInt32 = 4096, window: UInt32 = 32_768) -> HTTP2Settings {
        var settings = HTTP2Settings()
        settings.maxConcurrentStreams = streams
        settings.maxHeaderListSize = headerList
        settings.initialWindowSize = window
        return settings
    }

    /// Breaks if submitInitialSettings drops or mangles an entry (ARCHITECTURE.md: advertise
    /// MAX_CONCURRENT_STREAMS and MAX_HEADER_LIST_SIZE, never push), or stops widening the
    /// connection window beyond the protocol's 65,535 bytes.
    func testTheServersFirstFramesAdvertiseItsLimitsAndWidenTheConnectionWindow() throws {
        var configured = settings()
        configured.connectionWindowSize = 1 << 22
        let server = try HTTP2Session(role: .server, settings: configured)
        var bytes: [UInt8] = []
        try server.send(into: &bytes)
        let frames = Frame.parse(bytes)

        let first = try XCTUnwrap(frames.first)
        XCTAssertEqual([first.type, first.flags], [Frame.settings, 0], "a server speaks first with SETTINGS: \(frames)")
        let entries = Dictionary(first.settingsEntries.map { ($0.id, $0.value) }, uniquingKeysWith: { _, last in last })
        XCTAssertEqual(entries[Self.maxConcurrentStreams], 7)
        XCTAssertEqual(entries[Self.maxHeaderListSize], 4096)
        XCTAssertEqual(entries[Self.initialWindowSize], 32_768)
        XCTAssertEqual(entries[Self.enablePush], 0)

        let widening = frames.filter { $0.type == Frame.windowUpdate && $0.streamID == 0 }
        XCTAssertEqual(widening.map(\.windowIncrement), [UInt32(1 << 22) - 65_535])
    }

    /// Breaks if the client cannot read the server's MAX_CONCURRENT_STREAMS
    /// (`peerMaxConcurrentStreams`, which the RPC client's stream budget uses) or either side
    /// stops acknowledging the other's SETTINGS.
    func testAfterTheExchangeTheClientKnowsTheLimitAndBothSidesAcknowledged() throws {
        let pair = try SessionPair(server: settings(streams: 7))
        XCTAssertNotEqual(pair.client.peerMaxConcurrentStreams, 7, "not known before the server's SETTINGS arrive")
        try pair.exchange()

        XCTAssertEqual(pair.client.peerMaxConcurrentStreams, 7)
        XCTAssertEqual(pair.server.peerMaxConcurrentStreams, 256, "the client's own (default) settings went the other way")
        XCTAssertEqual(pair.toServer.filter { $0.type == Frame.settings && $0.flags == Frame.ack }.count, 1)
        XCTAssertEqual(pair.toClient.filter { $0.type == Frame.settings && $0.flags == Frame.ack }.count, 1)
    }

    /// Breaks if the client ignores the advertised limit: a second stream would reach a server
    /// that allows one, and be refused there instead of waiting its turn.
    func testTheClientKeepsToTheServersStreamLimit() throws {
        let pair = try SessionPair(server: settings(streams: 1))
        try pair.exchange()
        let first = try pair.client.submitRequest(headers: SessionPair.requestHeaders())
        let second = try pair.client.submitRequest(headers: SessionPair.requestHeaders())
        pair.client.finish(streamID: first, trailers: nil)
        pair.client.finish(streamID: second, trailers: nil)
        try pair.exchange()
        XCTAssertEqual(pair.server.eventSummary.filter { $0.hasPrefix("headers") }.count, 1, "\(pair.server.eventSummary)")

        // The first call ends; the second may now start.
        try pair.server.submitResponse(streamID: first, headers: HTTP2HeaderList([(":status", "200"), ("grpc-status", "0")]),
                                       hasBody: false)
        pair.server.clearEvents()
        try pair.exchange()
        XCTAssertTrue(pair.server.eventSummary.contains { $0.hasPrefix("headers \(second) ") }, "\(pair.server.eventSummary)")
    }

    /// Breaks if the server stops enforcing its own advertised MAX_CONCURRENT_STREAMS against a
    /// client that opens streams before it has read the server's SETTINGS.
    func testStreamsBeyondTheServersLimitAreRefused() throws {
        let pair = try SessionPair(server: settings(streams: 1))
        let first = try pair.client.submitRequest(headers: SessionPair.requestHeaders())
        let second = try pair.client.submitRequest(headers: SessionPair.requestHeaders())
        try pair.clientToServer()
        try pair.serverToClient()

        XCTAssertEqual(pair.server.eventSummary.filter { $0.hasPrefix("headers") }.map { $0.split(separator: " ")[1] },
                       ["\(first)"], "only the first stream is let in")
        let resets = pair.toClient.filter { $0.type == Frame.rstStream }
        XCTAssertEqual(resets.map(\.streamID), [second])
        // REFUSED_STREAM: the request was not processed, so a client may safely retry it.
        XCTAssertEqual(resets.map(\.errorCode), [HTTP2ErrorCode.refusedStream])
        XCTAssertEqual(pair.client.eventSummary, ["closed \(second) code \(HTTP2ErrorCode.refusedStream)"])
    }
}
