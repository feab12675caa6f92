/// An HTTP/2 frame as bytes on the wire (RFC 9113 §4.1), to look at what a session sends and to
/// hand-make what a well-behaved nghttp2 peer never would.
struct Frame: Equatable, CustomStringConvertible {
    var type: UInt8
    var flags: UInt8 = 0
    var streamID: Int32 = 0
    var payload: [UInt8] = []

    static let data: UInt8 = 0x0, headers: UInt8 = 0x1, rstStream: UInt8 = 0x3, settings: UInt8 = 0x4
    static let ping: UInt8 = 0x6, goaway: UInt8 = 0x7, windowUpdate: UInt8 = 0x8

    static let endStream: UInt8 = 0x1, ack: UInt8 = 0x1, endHeaders: UInt8 = 0x4

    /// What a client writes before its first frame.
    static let clientPreface = Array("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".utf8)

    var bytes: [UInt8] {
        let length = payload.count
        return [UInt8(length >> 16 & 0xFF), UInt8(length >> 8 & 0xFF), UInt8(length & 0xFF), type, flags]
            + Self.bigEndian(UInt32(bitPattern: streamID) & 0x7FFF_FFFF) + payload
    }

    var description: String { "Frame(type \(type), flags \(flags), stream \(streamID), \(payload.count) bytes)" }

    /// Splits `bytes` into frames; a trailing partial frame is a test failure, so it traps.
    static func parse(_ bytes: [UInt8]) -> [Frame] {
        var frames: [Frame] = []
        var offset = 0
        while offset < bytes.count {
            precondition(bytes.count - offset >= 9, "a partial frame header")
            let length = Int(bytes[offset]) << 16 | Int(bytes[offset + 1]) << 8 | Int(bytes[offset + 2])
            let streamID = Int32(bitPattern: readUInt32(bytes, at: offset + 5) & 0x7FFF_FFFF)
            precondition(bytes.count - offset - 9 >= length, "a partial frame payload")
            frames.append(Frame(type: bytes[offset + 3], flags: bytes[offset + 4], streamID: streamID,
                                payload: Array(bytes[(offset + 9)..<(offset + 9 + length)])))
            offset += 9 + length
        }
        return frames
    }

    // MARK: payloads

    /// SETTINGS entries (identifier, value), in the order sent.
    var settingsEntries: [(id: UInt16, value: UInt32)] {
        stride(from: 0, to: payload.count - payload.count % 6, by: 6).map { start in
            (UInt16(payload[start]) << 8 | UInt16(payload[start + 1]), Self.readUInt32(payload, at: start + 2))
        }
    }

    /// The error code of a RST_STREAM or GOAWAY.
    var errorCode: UInt32 {
        type == Self.goaway ? Self.readUInt32(payload, at: 4) : Self.readUInt32(payload, at: 0)
    }

    var windowIncrement: UInt32 { Self.readUInt32(payload, at: 0) & 0x7FFF_FFFF }

    static func settings(_ entries: [(UInt16, UInt32)] = [], ack: Bool = false) -> Frame {
        Frame(type: settings, flags: ack ? Self.ack : 0,
              payload: entries.flatMap { [UInt8($0.0 >> 8), UInt8($0.0 & 0xFF)] + bigEndian($0.1) })
    }

    static func windowUpdate(streamID: Int32, increment: UInt32) -> Frame {
        Frame(type: windowUpdate, streamID: streamID, payload: bigEndian(increment))
    }

    /// A HEADERS frame (END_HEADERS) whose block is HPACK literals without indexing or Huffman
    /// coding (RFC 7541 §6.2.2): every name and value shorter than 127 bytes.
    static func headers(streamID: Int32, _ fields: [(String, String)], endStream: Bool = false) -> Frame {
        var block: [UInt8] = []
        for (name, value) in fields {
            precondition(name.utf8.count < 127 && value.utf8.count < 127)
            block += [0x00, UInt8(name.utf8.count)] + Array(name.utf8) + [UInt8(value.utf8.count)] + Array(value.utf8)
        }
        return Frame(type: headers, flags: endHeaders | (endStream ? Self.endStream : 0), streamID: streamID, payload: block)
    }

    static func bigEndian(_ value: UInt32) -> [UInt8] {
        [UInt8(value >> 24 & 0xFF), UInt8(value >> 16 & 0xFF), UInt8(value >> 8 & 0xFF), UInt8(value & 0xFF)]
    }

    static func readUInt32(_ bytes: [UInt8], at offset: Int) -> UInt32 {
        UInt32(bytes[offset]) << 24 | UInt32(bytes[offset + 1]) << 16 | UInt32(bytes[offset + 2]) << 8 | UInt32(bytes[offset + 3])
    }
}
