import HTTP2
import XCTest

/// Hand-made bytes a conforming nghttp2 client never sends, fed to a server session: connection
/// errors end the connection with a GOAWAY carrying the right code, stream errors reset only
/// their stream, and either is counted for the caller's glitch counter.
final class MalformedFrameTests: XCTestCase {
    private struct Outcome {
        var thrown: HTTP2Error?
        var frames: [Frame]
        var server: HTTP2Session
        var goaway: Frame? { frames.last { $0.type == Frame.goaway } }
    }

    /// The preface and an empty SETTINGS, then `frames`, in one read; what the server answers.
    private func feed(_ frames: [Frame]) throws -> Outcome {
        let server = try HTTP2Session(role: .server)
        let bytes = Frame.clientPreface + Frame.settings().bytes + frames.flatMap(\.bytes)
        var thrown: HTTP2Error?
        do {
            try server.receive(bytes[...])
        } catch {
            thrown = error
        }
        var output: [UInt8] = []
        try server.send(into: &output)
        return Outcome(thrown: thrown, frames: Frame.parse(output), server: server)
    }

    /// Breaks if `receive` stops turning nghttp2's negative result into a thrown HTTP2Error, or
    /// `isPeerMisbehaving` stops covering it (the server would keep a non-HTTP/2 peer).
    func testSomethingThatIsNotHTTP2IsAThrownConnectionError() throws {
        let server = try HTTP2Session(role: .server)
        XCTAssertThrowsError(try server.receive(Array("GET / HTTP/1.1\r\nHost: x\r\n\r\n".utf8)[...])) { error in
            XCTAssertEqual((error as? HTTP2Error)?.isPeerMisbehaving, true, "\(error)")
        }
    }

    /// Breaks if a connection error stops producing a GOAWAY with PROTOCOL_ERROR, or the session
    /// still wants to read afterwards (the connection would stay open).
    func testDataOnStreamZeroEndsTheConnectionWithProtocolError() throws {
        let outcome = try feed([Frame(type: Frame.data, streamID: 0, payload: Array("x".utf8))])
        XCTAssertEqual(outcome.goaway?.errorCode, HTTP2ErrorCode.protocolError, "\(outcome.frames)")
        XCTAssertFalse(outcome.server.wantsRead)
    }

    /// Breaks if a SETTINGS frame whose length is not a multiple of six is accepted.
    func testASettingsFrameOfTheWrongLengthIsAFrameSizeError() throws {
        let outcome = try feed([Frame(type: Frame.settings, payload: [0, 3, 0, 0, 1])])
        XCTAssertEqual(outcome.goaway?.errorCode, 6, "FRAME_SIZE_ERROR: \(outcome.frames)")
        XCTAssertFalse(outcome.server.wantsRead)
    }

    /// Breaks if a WINDOW_UPDATE that overflows the connection window (RFC 9113 §6.9.1) is not
    /// a FLOW_CONTROL_ERROR.
    func testAWindowUpdatePastTwoToTheThirtyOneIsAFlowControlError() throws {
        let outcome = try feed([Frame.windowUpdate(streamID: 0, increment: 0x7FFF_FFFF)])
        XCTAssertEqual(outcome.goaway?.errorCode, HTTP2ErrorCode.flowControlError, "\(outcome.frames)")
    }

    /// A request whose one regular field `name` is malformed (RFC 9113 §8.2.1).
    private func requestWithField(_ name: String) -> Frame {
        Frame.headers(streamID: 1, [(":method", "POST"), (":scheme", "http"), (":path", "/test.Echo/Say"),
                                    (":authority", "localhost"), (name, "x")], endStream: true)
    }

    private func assertOnlyTheStreamIsReset(_ outcome: Outcome, counted: Int, file: StaticString = #filePath,
                                            line: UInt = #line) throws {
        XCTAssertNil(outcome.thrown, file: file, line: line)
        let reset = try XCTUnwrap(outcome.frames.first { $0.type == Frame.rstStream }, "\(outcome.frames)", file: file, line: line)
        XCTAssertEqual([Int64(reset.streamID), Int64(reset.errorCode)], [1, Int64(HTTP2ErrorCode.protocolError)], file: file, line: line)
        XCTAssertNil(outcome.goaway, "a stream error, not a connection error", file: file, line: line)
        XCTAssertEqual(outcome.server.protocolErrorCount, counted, "counted for the glitch counter", file: file, line: line)
        XCTAssertFalse(outcome.server.eventSummary.contains { $0.hasPrefix("headers") }, "the request never reaches the owner",
                       file: file, line: line)
        XCTAssertTrue(outcome.server.wantsRead, file: file, line: line)
    }

    /// nghttp2 resets a stream with an upper-case field name by itself and reports the frame as
    /// invalid. Breaks if the bridge's invalid-frame callback stops counting.
    func testAnUpperCaseFieldNameResetsOnlyItsStreamAndIsCounted() throws {
        try assertOnlyTheStreamIsReset(feed([requestWithField("Content-Type")]), counted: 1)
    }

    /// A field name with a character no token may hold is left to the invalid-header callback.
    /// Breaks if the bridge stops refusing it (nghttp2 would drop the field silently and hand
    /// the request on) or stops counting it. It counts twice today: once for the field, once
    /// more when nghttp2 then reports the HEADERS frame invalid (a glitch budget should know).
    func testAFieldNameWithAForbiddenCharacterIsRefusedByTheBridgeAndCounted() throws {
        try assertOnlyTheStreamIsReset(feed([requestWithField("x(y)")]), counted: 2)
    }
}
