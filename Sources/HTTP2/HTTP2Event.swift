import Glibc

/// One complete header block (request/response headers or trailers), copied out of nghttp2.
/// Names arrive lower-cased from HTTP/2; values are raw bytes.
public struct HTTP2HeaderBlock: Sendable {
    struct FieldRange: Sendable {
        let nameStart: Int32
        let nameEnd: Int32
        let valueEnd: Int32
    }

    /// Names and values, back to back; only the first `used` bytes are fields, the rest is
    /// room (zero-filled ahead, so each field is copied in place: two `append(contentsOf:)` per
    /// field cost ~250 instructions, ~14 fields per order - callgrind, issue 15 session 10).
    var bytes: [UInt8] = []
    var used = 0
    var ranges: [FieldRange] = []

    public init() {}

    /// A block with room for a typical gRPC request's fields, so filling it rarely reallocates.
    static func withTypicalCapacity() -> HTTP2HeaderBlock {
        var block = HTTP2HeaderBlock()
        block.bytes = [UInt8](repeating: 0, count: 320)
        block.ranges.reserveCapacity(12)
        return block
    }

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
        return bytes.withUnsafeBufferPointer { stored in
            guard let base = stored.baseAddress else { return length == 0 }
            return memcmp(base + Int(range.nameStart), name.utf8Start, length) == 0
        }
    }

    /// Whether field `index` is named `name` (ASCII, lower-case): lengths first, then the bytes
    /// compared in place (walking the String's UTF-8 view byte by byte showed in profiles).
    public func nameEquals(_ index: Int, _ name: String) -> Bool {
        let range = ranges[index]
        let length = Int(range.nameEnd - range.nameStart)
        let utf8 = name.utf8
        guard length == utf8.count else { return false }
        let compared = utf8.withContiguousStorageIfAvailable { wanted in
            bytes.withUnsafeBufferPointer { stored in
                guard let base = stored.baseAddress, let wantedBase = wanted.baseAddress else { return length == 0 }
                return memcmp(base + Int(range.nameStart), wantedBase, length) == 0
            }
        }
        return compared ?? self.name(at: index).elementsEqual(utf8)
    }

    /// The index of the first field at or after `start` named `name` (ASCII, lower-case): the
    /// name's bytes are looked at once, each field's length first.
    public func firstIndex(named name: String, from start: Int = 0) -> Int? {
        guard start < ranges.count else { return nil }
        let utf8 = name.utf8
        let length = utf8.count
        let found = utf8.withContiguousStorageIfAvailable { wanted -> Int? in
            bytes.withUnsafeBufferPointer { stored -> Int? in
                for index in start..<ranges.count {
                    let range = ranges[index]
                    guard Int(range.nameEnd - range.nameStart) == length else { continue }
                    if length == 0 { return index }
                    guard let base = stored.baseAddress, let wantedBase = wanted.baseAddress else { continue }
                    if memcmp(base + Int(range.nameStart), wantedBase, length) == 0 { return index }
                }
                return nil
            }
        }
        if let found { return found }
        return (start..<ranges.count).first { nameEquals($0, name) }
    }

    /// True for pseudo-header fields (`:path`, `:status`…).
    public func isPseudoHeader(at index: Int) -> Bool {
        let range = ranges[index]
        return range.nameEnd > range.nameStart && bytes[Int(range.nameStart)] == UInt8(ascii: ":")
    }

    /// True when the name ends in `-bin` (gRPC's binary metadata).
    public func hasBinarySuffix(at index: Int) -> Bool {
        let range = ranges[index]
        let end = Int(range.nameEnd)
        guard end - Int(range.nameStart) > 4 else { return false }
        return bytes[end - 4] == UInt8(ascii: "-") && bytes[end - 3] == UInt8(ascii: "b")
            && bytes[end - 2] == UInt8(ascii: "i") && bytes[end - 1] == UInt8(ascii: "n")
    }

    /// The length of a field's name, to rule out most names before comparing bytes.
    public func nameLength(at index: Int) -> Int {
        Int(ranges[index].nameEnd - ranges[index].nameStart)
    }

    mutating func append(name: UnsafeBufferPointer<UInt8>, value: UnsafeBufferPointer<UInt8>) {
        let start = used
        let nameEnd = start + name.count
        let end = nameEnd + value.count
        if end > bytes.count {
            bytes.append(contentsOf: repeatElement(0, count: Swift.max(end - bytes.count, bytes.count)))
        }
        bytes.withUnsafeMutableBufferPointer { room in
            guard let base = room.baseAddress else { return }
            if let source = name.baseAddress, name.count > 0 { (base + start).update(from: source, count: name.count) }
            if let source = value.baseAddress, value.count > 0 { (base + nameEnd).update(from: source, count: value.count) }
        }
        used = end
        ranges.append(FieldRange(nameStart: Int32(start), nameEnd: Int32(nameEnd), valueEnd: Int32(end)))
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
