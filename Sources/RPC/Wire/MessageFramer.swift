/// Splits a stream's DATA bytes into gRPC length-prefixed messages. The size limit is checked
/// on the 5-byte prefix, before any of the message is buffered.
struct MessageFramer {
    /// The compressed flag and the 4-byte length before each message.
    static let prefixLength = 5

    enum Failure: Error, Equatable {
        case tooLarge(Int)
        case compressedWithoutEncoding
    }

    let maxMessageSize: Int
    private var pending: [UInt8] = []
    private var offset = 0

    init(maxMessageSize: Int) { self.maxMessageSize = maxMessageSize }

    /// True when bytes of an incomplete message remain (a truncated message at end of stream).
    var hasPartialMessage: Bool { offset < pending.count }

    mutating func append(_ bytes: ArraySlice<UInt8>) {
        if offset == pending.count {
            // Adopting the slice as the buffer costs one copy, the same as appending to an
            // empty array, without growing it step by step.
            pending = Array(bytes)
            offset = 0
            return
        }
        pending.append(contentsOf: bytes)
    }

    /// The next complete message, nil when more bytes are needed.
    mutating func next() -> Result<ArraySlice<UInt8>, Failure>? {
        let available = pending.count - offset
        guard available >= 5 else { compact(); return nil }
        let flag = pending[offset]
        let length = Int(pending[offset + 1]) << 24 | Int(pending[offset + 2]) << 16
            | Int(pending[offset + 3]) << 8 | Int(pending[offset + 4])
        if length > maxMessageSize { return .failure(.tooLarge(length)) }
        if flag & 1 != 0 { return .failure(.compressedWithoutEncoding) }
        guard available >= 5 + length else { compact(); return nil }
        let start = offset + 5
        // A slice shares the buffer: no copy. Once all is consumed the buffer is dropped (not
        // cleared in place, which would copy it for the slice still alive).
        let message = pending[start..<(start + length)]
        offset = start + length
        if offset == pending.count {
            pending = []
            offset = 0
        }
        return .success(message)
    }

    private mutating func compact() {
        if offset > 0 {
            pending.removeSubrange(0..<offset)
            offset = 0
        }
    }

    /// Frames one encoded message: flag 0 and the big-endian length, then the bytes. The default
    /// room stays under glibc's large-request size (1 KiB with the array's header): a large
    /// request makes malloc consolidate every free small chunk first, on every response; a
    /// larger message grows the buffer once.
    static func frame(reservingFor capacity: Int = 960, _ encode: (inout [UInt8]) -> Void) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(capacity)
        out.append(contentsOf: [0, 0, 0, 0, 0] as [UInt8])
        encode(&out)
        let length = UInt32(out.count - 5)
        out[1] = UInt8(length >> 24)
        out[2] = UInt8((length >> 16) & 0xFF)
        out[3] = UInt8((length >> 8) & 0xFF)
        out[4] = UInt8(length & 0xFF)
        return out
    }
}
