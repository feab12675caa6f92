import CNGHTTP2

/// Every unsafe touch of nghttp2 lives here: session creation, the C callbacks, the data
/// provider and name/value arrays. Callbacks only record events on the session; they never
/// call application code.
enum NGHTTP2Bridge {
    static func makeSession(role: HTTP2Session.Role, settings: HTTP2Settings) throws(HTTP2Error) -> OpaquePointer {
        var callbacks: OpaquePointer?
        try HTTP2Error.check(nghttp2_session_callbacks_new(&callbacks), "callbacks_new")
        guard let callbacks else { throw HTTP2Error("callbacks_new", code: NGHTTP2_ERR_NOMEM.rawValue) }
        defer { nghttp2_session_callbacks_del(callbacks) }
        nghttp2_session_callbacks_set_on_begin_frame_callback(callbacks, onBeginFrame)
        nghttp2_session_callbacks_set_on_begin_headers_callback(callbacks, onBeginHeaders)
        nghttp2_session_callbacks_set_on_header_callback(callbacks, onHeader)
        nghttp2_session_callbacks_set_on_frame_recv_callback(callbacks, onFrameReceived)
        nghttp2_session_callbacks_set_on_data_chunk_recv_callback(callbacks, onDataChunk)
        nghttp2_session_callbacks_set_on_stream_close_callback(callbacks, onStreamClose)
        nghttp2_session_callbacks_set_on_invalid_frame_recv_callback(callbacks, onInvalidFrame)
        nghttp2_session_callbacks_set_on_invalid_header_callback(callbacks, onInvalidHeader)

        var option: OpaquePointer?
        try HTTP2Error.check(nghttp2_option_new(&option), "option_new")
        guard let option else { throw HTTP2Error("option_new", code: NGHTTP2_ERR_NOMEM.rawValue) }
        defer { nghttp2_option_del(option) }
        nghttp2_option_set_max_settings(option, settings.maxSettingsEntries)
        nghttp2_option_set_stream_reset_rate_limit(option, settings.resetBurst, settings.resetRatePerSecond)
        nghttp2_option_set_max_continuations(option, settings.maxContinuations)
        nghttp2_option_set_max_send_header_block_length(option, 64 * 1024)
        if settings.manualWindowUpdates { nghttp2_option_set_no_auto_window_update(option, 1) }

        var session: OpaquePointer?
        let result: Int32
        switch role {
        case .server: result = nghttp2_session_server_new2(&session, callbacks, nil, option)
        case .client: result = nghttp2_session_client_new2(&session, callbacks, nil, option)
        }
        try HTTP2Error.check(result, "session_new")
        guard let session else { throw HTTP2Error("session_new", code: NGHTTP2_ERR_NOMEM.rawValue) }
        return session
    }

    /// Points nghttp2's user data at the session. Unretained: the session owns the nghttp2
    /// handle and deletes it in `deinit`, so nghttp2 never outlives it.
    static func attach(_ session: HTTP2Session) {
        nghttp2_session_set_user_data(session.handle, Unmanaged.passUnretained(session).toOpaque())
    }

    static func submitInitialSettings(_ session: HTTP2Session) throws(HTTP2Error) {
        let settings = session.settings
        var entries = [
            nghttp2_settings_entry(settings_id: Int32(NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS.rawValue),
                                   value: settings.maxConcurrentStreams),
            nghttp2_settings_entry(settings_id: Int32(NGHTTP2_SETTINGS_MAX_HEADER_LIST_SIZE.rawValue),
                                   value: settings.maxHeaderListSize),
            nghttp2_settings_entry(settings_id: Int32(NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE.rawValue),
                                   value: settings.initialWindowSize),
            nghttp2_settings_entry(settings_id: Int32(NGHTTP2_SETTINGS_ENABLE_PUSH.rawValue), value: 0),
        ]
        let result = nghttp2_submit_settings(session.handle, UInt8(NGHTTP2_FLAG_NONE.rawValue), &entries, entries.count)
        try HTTP2Error.check(result, "submit settings")
        try HTTP2Error.check(
            nghttp2_session_set_local_window_size(session.handle, UInt8(NGHTTP2_FLAG_NONE.rawValue), 0,
                                                  settings.connectionWindowSize),
            "set window")
    }

    /// A data provider whose source points at the stream's body object. Unretained: the
    /// session's `outbound` table keeps it alive until nghttp2 reports the stream closed, after
    /// which nghttp2 never asks for data again.
    static func dataProvider(for stream: OutboundStream) -> nghttp2_data_provider {
        nghttp2_data_provider(source: nghttp2_data_source(ptr: Unmanaged.passUnretained(stream).toOpaque()),
                              read_callback: readData)
    }

    /// Calls `body` with an nghttp2_nv array over the list's bytes. nghttp2 copies names and
    /// values on submit, so the pointers need not outlive the call.
    static func withNameValues<T>(_ list: HTTP2HeaderList, _ body: (UnsafePointer<nghttp2_nv>?, Int) -> T) -> T {
        if list.ranges.isEmpty { return body(nil, 0) }
        return list.bytes.withUnsafeBufferPointer { bytes in
            // A list whose names and values are all empty is invalid anyway; send nothing.
            guard let start = bytes.baseAddress else { return body(nil, 0) }
            let base = UnsafeMutablePointer(mutating: start)
            return withUnsafeTemporaryAllocation(of: nghttp2_nv.self, capacity: list.ranges.count) { nva in
                for (index, range) in list.ranges.enumerated() {
                    nva[index] = nghttp2_nv(
                        name: base + Int(range.nameStart), value: base + Int(range.nameEnd),
                        namelen: Int(range.nameEnd - range.nameStart),
                        valuelen: Int(range.valueEnd - range.nameEnd),
                        flags: UInt8(NGHTTP2_NV_FLAG_NONE.rawValue))
                }
                return body(UnsafePointer(nva.baseAddress), list.ranges.count)
            }
        }
    }
}

@inline(__always)
private func owner(_ userData: UnsafeMutableRawPointer?) -> HTTP2Session? {
    guard let userData else { return nil }
    return Unmanaged<HTTP2Session>.fromOpaque(userData).takeUnretainedValue()
}

/// RFC 9113 §5.1.1: a client's stream id below one it already used names a closed stream, and a
/// HEADERS frame there is a connection error (PROTOCOL_ERROR). nghttp2 ignores such a frame
/// silently (it keeps no record of old streams), so the server checks before it parses: below
/// the highest id seen and not a stream still open (whose HEADERS would be trailers).
private func onBeginFrame(_ session: OpaquePointer?, _ header: UnsafePointer<nghttp2_frame_hd>?,
                          _ userData: UnsafeMutableRawPointer?) -> Int32 {
    guard let header, header.pointee.type == UInt8(NGHTTP2_HEADERS.rawValue),
          let owner = owner(userData), owner.role == .server else { return 0 }
    let streamID = header.pointee.stream_id
    if streamID & 1 == 1, streamID < owner.highestPeerStreamID, nghttp2_session_find_stream(session, streamID) == nil {
        owner.protocolErrorCount += 1
        owner.terminate(errorCode: UInt32(NGHTTP2_PROTOCOL_ERROR.rawValue))
    }
    return 0
}

private func onBeginHeaders(_ session: OpaquePointer?, _ frame: UnsafePointer<nghttp2_frame>?,
                            _ userData: UnsafeMutableRawPointer?) -> Int32 {
    guard let owner = owner(userData) else { return 0 }
    if let streamID = frame?.pointee.hd.stream_id, streamID > owner.highestPeerStreamID { owner.highestPeerStreamID = streamID }
    owner.headerBlockInProgress = HTTP2HeaderBlock.withTypicalCapacity()
    owner.headerListBytesInProgress = 0
    return 0
}

private func onHeader(_ session: OpaquePointer?, _ frame: UnsafePointer<nghttp2_frame>?,
                      _ name: UnsafePointer<UInt8>?, _ nameLength: Int,
                      _ value: UnsafePointer<UInt8>?, _ valueLength: Int,
                      _ flags: UInt8, _ userData: UnsafeMutableRawPointer?) -> Int32 {
    guard let owner = owner(userData), let name else { return 0 }
    // MAX_HEADER_LIST_SIZE is only advertised by nghttp2, not enforced: HPACK lets a few KiB
    // of frames name one large dynamic-table entry thousands of times. Count what is decoded
    // (RFC 9113 §6.5.2: name + value + 32 per field) and refuse the block past the limit;
    // nghttp2 then resets the stream and calls us no more for it.
    owner.headerListBytesInProgress += nameLength + (value == nil ? 0 : valueLength) + 32
    if owner.headerListBytesInProgress > Int(owner.settings.maxHeaderListSize) {
        owner.headerBlockInProgress = HTTP2HeaderBlock()
        owner.protocolErrorCount += 1
        owner.oversizedHeaderBlocks += 1
        return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE.rawValue
    }
    owner.headerBlockInProgress.append(
        name: UnsafeBufferPointer(start: name, count: nameLength),
        value: UnsafeBufferPointer(start: value, count: value == nil ? 0 : valueLength))
    return 0
}

private func onFrameReceived(_ session: OpaquePointer?, _ frame: UnsafePointer<nghttp2_frame>?,
                             _ userData: UnsafeMutableRawPointer?) -> Int32 {
    guard let owner = owner(userData), let frame else { return 0 }
    let header = frame.pointee.hd
    let endStream = header.flags & UInt8(NGHTTP2_FLAG_END_STREAM.rawValue) != 0
    switch UInt32(header.type) {
    case NGHTTP2_HEADERS.rawValue:
        let block = owner.headerBlockInProgress
        owner.headerBlockInProgress = HTTP2HeaderBlock()
        owner.events.append(.headers(streamID: header.stream_id, block: block, endStream: endStream))
    case NGHTTP2_DATA.rawValue:
        if endStream {
            owner.events.append(.endStream(streamID: header.stream_id))
        } else if header.length == 0 {
            owner.emptyFrameCount += 1
        }
    case NGHTTP2_PRIORITY.rawValue:
        owner.emptyFrameCount += 1
    case NGHTTP2_GOAWAY.rawValue:
        owner.events.append(.goaway(lastStreamID: frame.pointee.goaway.last_stream_id,
                                    errorCode: frame.pointee.goaway.error_code))
    case NGHTTP2_SETTINGS.rawValue:
        if header.flags & UInt8(NGHTTP2_FLAG_ACK.rawValue) == 0 { owner.peerSettingsReceived = true }
    case NGHTTP2_RST_STREAM.rawValue:
        // Called before nghttp2 closes the stream. Only streams opened in this same read count:
        // a call cancelled later (a deadline, a user giving up) is the owner's to judge.
        guard header.stream_id > owner.highestPeerStreamIDBeforeRead,
              nghttp2_session_find_stream(session, header.stream_id) != nil else { break }
        owner.peerResetsReceived += 1
        if let allowance = owner.peerResetAllowance, owner.peerResetsReceived > allowance {
            owner.peerResetAllowanceExceeded = true
            return NGHTTP2_ERR_CALLBACK_FAILURE.rawValue
        }
    case NGHTTP2_PING.rawValue:
        let isAck = header.flags & UInt8(NGHTTP2_FLAG_ACK.rawValue) != 0
        owner.events.append(isAck ? .pingAck : .ping)
    default:
        break
    }
    return 0
}

private func onDataChunk(_ session: OpaquePointer?, _ flags: UInt8, _ streamID: Int32,
                         _ data: UnsafePointer<UInt8>?, _ length: Int,
                         _ userData: UnsafeMutableRawPointer?) -> Int32 {
    guard let owner = owner(userData), let data, length > 0 else { return 0 }
    let start = owner.receivedData.count
    owner.receivedData.append(contentsOf: UnsafeBufferPointer(start: data, count: length))
    owner.events.append(.data(streamID: streamID, range: start..<owner.receivedData.count))
    return 0
}

private func onStreamClose(_ session: OpaquePointer?, _ streamID: Int32, _ errorCode: UInt32,
                           _ userData: UnsafeMutableRawPointer?) -> Int32 {
    guard let owner = owner(userData) else { return 0 }
    owner.outbound[streamID] = nil
    owner.events.append(.streamClosed(streamID: streamID, errorCode: errorCode))
    return 0
}

private func onInvalidFrame(_ session: OpaquePointer?, _ frame: UnsafePointer<nghttp2_frame>?,
                            _ errorCode: Int32, _ userData: UnsafeMutableRawPointer?) -> Int32 {
    owner(userData)?.protocolErrorCount += 1
    return 0
}

private func onInvalidHeader(_ session: OpaquePointer?, _ frame: UnsafePointer<nghttp2_frame>?,
                             _ name: UnsafePointer<UInt8>?, _ nameLength: Int,
                             _ value: UnsafePointer<UInt8>?, _ valueLength: Int,
                             _ flags: UInt8, _ userData: UnsafeMutableRawPointer?) -> Int32 {
    owner(userData)?.protocolErrorCount += 1
    // Refusing the field makes nghttp2 reset the stream with PROTOCOL_ERROR.
    return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE.rawValue
}

/// Copies queued body bytes into nghttp2's frame buffer; defers when none are queued yet, and
/// at the end either sets END_STREAM or submits the trailers (nghttp2 allows that here).
private func readData(_ session: OpaquePointer?, _ streamID: Int32, _ buffer: UnsafeMutablePointer<UInt8>?,
                      _ length: Int, _ flags: UnsafeMutablePointer<UInt32>?,
                      _ source: UnsafeMutablePointer<nghttp2_data_source>?,
                      _ userData: UnsafeMutableRawPointer?) -> Int {
    guard let sourcePointer = source?.pointee.ptr, let buffer, let flags else {
        return Int(NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE.rawValue)
    }
    let stream = Unmanaged<OutboundStream>.fromOpaque(sourcePointer).takeUnretainedValue()
    let count = min(length, stream.pendingBytes)
    if count > 0 {
        stream.buffer.withUnsafeBufferPointer { bytes in
            if let base = bytes.baseAddress {
                buffer.update(from: base + stream.readOffset, count: count)
            }
        }
        stream.readOffset += count
    }
    if stream.pendingBytes > 0 { return count }
    if !stream.finished {
        if count > 0 { return count }
        stream.deferred = true
        return Int(NGHTTP2_ERR_DEFERRED.rawValue)
    }
    flags.pointee |= NGHTTP2_DATA_FLAG_EOF.rawValue
    if let trailers = stream.trailers {
        flags.pointee |= NGHTTP2_DATA_FLAG_NO_END_STREAM.rawValue
        let result = NGHTTP2Bridge.withNameValues(trailers) { nva, nvCount in
            nghttp2_submit_trailer(session, streamID, nva, nvCount)
        }
        if result != 0 { return Int(NGHTTP2_ERR_CALLBACK_FAILURE.rawValue) }
    }
    return count
}
