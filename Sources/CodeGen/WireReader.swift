/// Reads the protobuf wire format: just enough (varints and length-delimited fields, skipping
/// the fixed-size ones) to decode a `google.protobuf.FileDescriptorSet`.
struct WireReader {
    enum WireType: UInt8 { case varint = 0, fixed64 = 1, lengthDelimited = 2, startGroup = 3, endGroup = 4, fixed32 = 5 }

    struct Error: Swift.Error, CustomStringConvertible {
        let description: String
    }

    private let bytes: ArraySlice<UInt8>
    private var position: Int

    init(_ bytes: ArraySlice<UInt8>) {
        self.bytes = bytes
        self.position = bytes.startIndex
    }

    var isAtEnd: Bool { position >= bytes.endIndex }

    /// The next field's number and wire type, or nil at the end.
    mutating func nextTag() throws -> (field: Int, wireType: WireType)? {
        if isAtEnd { return nil }
        let tag = try readVarint()
        guard let wireType = WireType(rawValue: UInt8(tag & 7)), tag >> 3 > 0 else {
            throw Error(description: "bad tag \(tag) at offset \(position)")
        }
        return (Int(tag >> 3), wireType)
    }

    mutating func readVarint() throws -> UInt64 {
        var result: UInt64 = 0
        var shift: UInt64 = 0
        while position < bytes.endIndex {
            let byte = bytes[position]
            position += 1
            result |= UInt64(byte & 0x7F) << shift
            if byte & 0x80 == 0 { return result }
            shift += 7
            if shift >= 64 { break }
        }
        throw Error(description: "truncated or overlong varint")
    }

    mutating func readLengthDelimited() throws -> ArraySlice<UInt8> {
        let length = Int(try readVarint())
        guard length >= 0, length <= bytes.endIndex - position else {
            throw Error(description: "length \(length) runs past the end")
        }
        let slice = bytes[position..<position + length]
        position += length
        return slice
    }

    mutating func readString() throws -> String {
        String(decoding: try readLengthDelimited(), as: UTF8.self)
    }

    mutating func readInt32() throws -> Int32 { Int32(truncatingIfNeeded: try readVarint()) }

    mutating func readBool() throws -> Bool { try readVarint() != 0 }

    mutating func skip(_ wireType: WireType) throws {
        switch wireType {
        case .varint: _ = try readVarint()
        case .fixed64: try advance(8)
        case .fixed32: try advance(4)
        case .lengthDelimited: _ = try readLengthDelimited()
        case .startGroup, .endGroup: throw Error(description: "groups are not supported")
        }
    }

    private mutating func advance(_ count: Int) throws {
        guard count <= bytes.endIndex - position else { throw Error(description: "truncated fixed field") }
        position += count
    }
}
