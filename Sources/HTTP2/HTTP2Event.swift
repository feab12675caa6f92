/// One complete header block (request/response headers or trailers), copied out of nghttp2.
/// Names arrive lower-cased from HTTP/2; values are raw bytes.
public struct HTTP2HeaderBlock: Sendable {
    struct FieldRange: Sendable {
        let nameStart: Int32
        let nameEnd: Int32
        let valueEnd: Int32
    }

    var bytes: [UInt8] = []
    var ranges: [FieldRange] = []

    public init() {}

    public var count: Int { ranges.count }

    public func name(at index: Int) -> ArraySlice<UInt8> {
        let range = ranges[index]
        return bytes[Int(range.nameStart)..<Int(range.nameEnd)]
    }

    public func value(at index: Int) -> ArraySlice<UInt8> {
        let range = ranges[index]
        return bytes[Int(range.nameEnd)..<Int(range.valueEnd)]
    }

    /// The value of the first field whose name equals `name` (ASCII, lower-case).
    public func value(named name: StaticString) -> ArraySlice<UInt8>? {
        for index in 0..<ranges.count where matches(index, name) {
            return value(at: index)
        }
        return nil
    }

    public func matches(_ index: Int, _ name: StaticString) -> Bool {
        let range = ranges[index]
        let length = Int(range.nameEnd - range.nameStart)
        guard length == name.utf8CodeUnitCount else { return false }
        let start = Int(range.nameStart)
        return name.withUTF8Buffer { expected in
            for offset in 0..<length where bytes[start + offset] != expected[offset] { return false }
            return true
        }
    }

    mutating func append(name: UnsafeBufferPointer<UInt8>, value: UnsafeBufferPointer<UInt8>) {
        let start = Int32(bytes.count)
        bytes.append(contentsOf: name)
        let nameEnd = Int32(bytes.count)
        bytes.append(contentsOf: value)
        ranges.append(FieldRange(nameStart: start, nameEnd: nameEnd, valueEnd: Int32(bytes.count)))
    }
}

/// What nghttp2 reported while it processed received bytes. The callbacks only record these;
/// the owner of the session reads them after `receive` returns.
public enum HTTP2Event {
    case headers(streamID: Int32, block: HTTP2HeaderBlock, endStream: Bool)
    /// Received body bytes, a range of `HTTP2Session.receivedData`.
    case data(streamID: Int32, range: Range<Int>)
    /// The peer ended its side of the stream with a DATA frame.
    case endStream(streamID: Int32)
    case streamClosed(streamID: Int32, errorCode: UInt32)
    case goaway(lastStreamID: Int32, errorCode: UInt32)
    /// The peer pinged us (nghttp2 answers by itself; the event is for ping policies).
    case ping
    case pingAck
}

/// HTTP/2 error codes used by the runtime (RFC 9113 §7).
public enum HTTP2ErrorCode {
    public static let noError: UInt32 = 0
    public static let protocolError: UInt32 = 1
    public static let internalError: UInt32 = 2
    public static let flowControlError: UInt32 = 3
    public static let refusedStream: UInt32 = 7
    public static let cancel: UInt32 = 8
    public static let enhanceYourCalm: UInt32 = 11
}
