/// Body bytes waiting for nghttp2 to pull them through the data provider, and what ends the
/// stream after them (END_STREAM on the last DATA frame, or trailers).
final class OutboundStream {
    var buffer: [UInt8] = []
    var readOffset = 0
    var finished = false
    var trailers: HTTP2HeaderList?
    /// nghttp2 was told NGHTTP2_ERR_DEFERRED and waits for `resume_data`.
    var deferred = false

    var pendingBytes: Int { buffer.count - readOffset }

    func append(_ bytes: [UInt8]) {
        if readOffset == buffer.count {
            // Nothing pending: adopt the caller's array instead of copying it (the common
            // case of one response message per call).
            buffer = bytes
            readOffset = 0
            return
        }
        buffer.append(contentsOf: bytes)
    }
}
