import CNGHTTP2

/// One HTTP/2 connection's protocol state, driven by bytes in and bytes out (nghttp2's
/// `mem_recv`/`mem_send`); the owner does all socket I/O. Not thread-safe: one loop owns it.
public final class HTTP2Session {
    public enum Role { case server, client }

    public let role: Role
    /// Set once by `init`; nghttp2 frees it in `deinit`.
    let handle: OpaquePointer
    public let settings: HTTP2Settings

    /// Events recorded since the last `clearEvents()`.
    public internal(set) var events: [HTTP2Event] = []
    /// Body bytes the `.data` events point into.
    public internal(set) var receivedData: [UInt8] = []
    /// Frames nghttp2 found invalid, or header fields it rejected: input for the caller's glitch
    /// counter that ends abusive connections.
    public internal(set) var protocolErrorCount = 0

    /// The peer's first SETTINGS frame arrived: its connection preface is complete.
    public internal(set) var peerSettingsReceived = false
    /// Header blocks refused for exceeding MAX_HEADER_LIST_SIZE (their streams were reset).
    public internal(set) var oversizedHeaderBlocks = 0
    /// `terminate` was called: the owner should read no more from the peer.
    public internal(set) var isTerminating = false
    /// RST_STREAM frames the peer sent for streams it opened in the same read (rapid reset's
    /// signature: a stream opened and abandoned before the server could even start on it).
    public internal(set) var peerResetsReceived = 0
    /// The highest stream id the peer has opened, and its value when the current read began.
    var highestPeerStreamID: Int32 = 0
    var highestPeerStreamIDBeforeRead: Int32 = 0
    /// How high `peerResetsReceived` may go before `receive` stops reading mid-buffer and fails
    /// (the owner's glitch budget, refreshed by the owner between reads); nil: no limit. One
    /// read can hold hundreds of HEADERS + RST_STREAM pairs; without this all would be parsed.
    public var peerResetAllowance: Int?
    /// `receive` stopped because the peer went past `peerResetAllowance`.
    public internal(set) var peerResetAllowanceExceeded = false
    /// Frames that carry nothing a server needs yet cost a parse and a callback each: DATA of
    /// zero length without END_STREAM, PRIORITY (gRPC clients send neither; CVE-2019-9518's
    /// empty-frame and CVE-2019-9513's priority floods). Input for the owner's glitch budget.
    public internal(set) var emptyFrameCount = 0

    var headerBlockInProgress = HTTP2HeaderBlock()
    /// Decoded size of the block in progress, as RFC 9113 counts it.
    var headerListBytesInProgress = 0
    var outbound: [Int32: OutboundStream] = [:]

    public init(role: Role, settings: HTTP2Settings = HTTP2Settings()) throws(HTTP2Error) {
        self.role = role
        self.settings = settings
        self.handle = try NGHTTP2Bridge.makeSession(role: role, settings: settings)
        NGHTTP2Bridge.attach(self)
        try NGHTTP2Bridge.submitInitialSettings(self)
    }

    deinit {
        nghttp2_session_del(handle)
    }

    // MARK: Input

    /// Feeds received bytes. Fatal protocol errors throw; the caller then flushes what nghttp2
    /// queued (usually a GOAWAY) and closes the connection.
    public func receive(_ bytes: ArraySlice<UInt8>) throws(HTTP2Error) {
        highestPeerStreamIDBeforeRead = highestPeerStreamID
        let result = bytes.withUnsafeBufferPointer { buffer -> Int in
            guard let base = buffer.baseAddress else { return 0 }
            return nghttp2_session_mem_recv(handle, base, buffer.count)
        }
        try HTTP2Error.check(Int32(clamping: result), "receive")
    }

    /// Gives `count` received body bytes of `streamID` back to the peer's flow-control windows
    /// (stream and connection; the connection's alone when the stream is gone). Only with
    /// `settings.manualWindowUpdates`; nghttp2 sends the WINDOW_UPDATE when enough is consumed.
    public func consume(streamID: Int32, _ count: Int) {
        guard settings.manualWindowUpdates, count > 0, streamID > 0 else { return }
        _ = nghttp2_session_consume(handle, streamID, count)
    }

    public func clearEvents() {
        events.removeAll(keepingCapacity: true)
        receivedData.removeAll(keepingCapacity: true)
    }

    // MARK: Output

    /// Appends every frame nghttp2 has ready to `output`.
    public func send(into output: inout [UInt8]) throws(HTTP2Error) {
        while true {
            var chunk: UnsafePointer<UInt8>?
            let length = nghttp2_session_mem_send(handle, &chunk)
            try HTTP2Error.check(Int32(clamping: length), "send")
            guard length > 0, let chunk else { return }
            output.append(contentsOf: UnsafeBufferPointer(start: chunk, count: length))
        }
    }

    public var wantsRead: Bool { nghttp2_session_want_read(handle) != 0 }
    public var wantsWrite: Bool { nghttp2_session_want_write(handle) != 0 }

    // MARK: Streams

    /// Server: sends response headers. With `hasBody`, body and trailers follow through
    /// `appendData`/`finish`; without, the headers end the stream (a trailers-only response).
    public func submitResponse(streamID: Int32, headers: HTTP2HeaderList, hasBody: Bool) throws(HTTP2Error) {
        let result = NGHTTP2Bridge.withNameValues(headers) { nva, count -> Int32 in
            if hasBody {
                let stream = OutboundStream()
                outbound[streamID] = stream
                var provider = NGHTTP2Bridge.dataProvider(for: stream)
                return nghttp2_submit_response(handle, streamID, nva, count, &provider)
            }
            return nghttp2_submit_response(handle, streamID, nva, count, nil)
        }
        try HTTP2Error.check(result, "submit response")
    }

    /// Client: opens a stream with request headers; the body follows through `appendData`.
    public func submitRequest(headers: HTTP2HeaderList) throws(HTTP2Error) -> Int32 {
        let outboundStream = OutboundStream()
        let streamID = NGHTTP2Bridge.withNameValues(headers) { nva, count -> Int32 in
            var provider = NGHTTP2Bridge.dataProvider(for: outboundStream)
            return nghttp2_submit_request(handle, nil, nva, count, &provider, nil)
        }
        try HTTP2Error.check(streamID, "submit request")
        outbound[streamID] = outboundStream
        return streamID
    }

    /// Queues body bytes on a stream opened with a body.
    public func appendData(streamID: Int32, _ bytes: [UInt8]) {
        guard let stream = outbound[streamID], !stream.finished else { return }
        stream.append(bytes)
        resumeIfDeferred(streamID, stream)
    }

    /// Ends the stream after the queued bytes: with trailers, or END_STREAM on the last DATA.
    public func finish(streamID: Int32, trailers: HTTP2HeaderList?) {
        guard let stream = outbound[streamID], !stream.finished else { return }
        stream.finished = true
        stream.trailers = trailers
        resumeIfDeferred(streamID, stream)
    }

    /// Bytes queued on a stream that nghttp2 has not taken yet (for send-side backpressure).
    public func pendingBytes(streamID: Int32) -> Int {
        outbound[streamID]?.pendingBytes ?? 0
    }

    public func resetStream(streamID: Int32, errorCode: UInt32) {
        // The body object stays until nghttp2 reports the stream closed: its data provider
        // points at it and may still be asked for bytes before the reset goes out.
        if let stream = outbound[streamID] {
            stream.buffer.removeAll()
            stream.readOffset = 0
            stream.finished = true
            stream.trailers = nil
        }
        _ = nghttp2_submit_rst_stream(handle, UInt8(NGHTTP2_FLAG_NONE.rawValue), streamID, errorCode)
    }

    private func resumeIfDeferred(_ streamID: Int32, _ stream: OutboundStream) {
        if stream.deferred {
            stream.deferred = false
            _ = nghttp2_session_resume_data(handle, streamID)
        }
    }

    // MARK: Connection

    /// First phase of a graceful shutdown: tells the client no new streams will be accepted
    /// soon, while streams already in flight may still arrive.
    public func submitShutdownNotice() {
        if role == .server { _ = nghttp2_submit_shutdown_notice(handle) }
    }

    /// Final GOAWAY naming the last stream this side processed.
    public func submitGoaway(errorCode: UInt32, debugMessage: String = "") {
        let lastStream = nghttp2_session_get_last_proc_stream_id(handle)
        var debug = Array(debugMessage.utf8)
        _ = debug.withUnsafeMutableBufferPointer { buffer in
            nghttp2_submit_goaway(handle, UInt8(NGHTTP2_FLAG_NONE.rawValue), lastStream, errorCode,
                                  buffer.baseAddress, buffer.count)
        }
    }

    public func submitPing() {
        _ = nghttp2_submit_ping(handle, UInt8(NGHTTP2_FLAG_NONE.rawValue), nil)
    }

    /// The peer's MAX_CONCURRENT_STREAMS (a client must not open more).
    public var peerMaxConcurrentStreams: Int {
        Int(nghttp2_session_get_remote_settings(handle, NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS))
    }
}
