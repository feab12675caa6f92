/// Swift types a cell can be decoded into. Decoding checks the column's type, so a wrong
/// assumption about the schema fails loudly instead of reading garbage.
public protocol PostgresDecodable {
    static func decode(from cell: PostgresCell) throws(PostgresError) -> Self
}

extension Optional: PostgresDecodable where Wrapped: PostgresDecodable {
    public static func decode(from cell: PostgresCell) throws(PostgresError) -> Wrapped? {
        if cell.bytes == nil { return nil }
        return try Wrapped.decode(from: cell)
    }
}

func readBigEndian<T: FixedWidthInteger>(_ type: T.Type, _ bytes: ArraySlice<UInt8>) -> T? {
    guard bytes.count == MemoryLayout<T>.size else { return nil }
    var value: T = 0
    for byte in bytes { value = (value << 8) | T(truncatingIfNeeded: byte) }
    return value
}

extension Int64: PostgresDecodable {
    /// Integer columns, and `timestamp`/`timestamptz` as Unix milliseconds UTC.
    public static func decode(from cell: PostgresCell) throws(PostgresError) -> Int64 {
        let bytes = try cell.requireBytes("Int64")
        switch cell.column.typeOID {
        case PGType.int8:
            if let value = readBigEndian(Int64.self, bytes) { return value }
        case PGType.int4:
            if let value = readBigEndian(Int32.self, bytes) { return Int64(value) }
        case PGType.int2:
            if let value = readBigEndian(Int16.self, bytes) { return Int64(value) }
        case PGType.oid:
            if let value = readBigEndian(UInt32.self, bytes) { return Int64(value) }
        case PGType.timestamptz, PGType.timestamp:
            if let micros = readBigEndian(Int64.self, bytes) {
                // Floor division keeps pre-1970 instants on the right millisecond.
                let unixMicros = micros &+ postgresEpochOffsetMicros
                return unixMicros >= 0 ? unixMicros / 1000 : (unixMicros - 999) / 1000
            }
        default:
            break
        }
        throw cell.decodingError("Int64")
    }
}

extension Int: PostgresDecodable {
    public static func decode(from cell: PostgresCell) throws(PostgresError) -> Int {
        Int(try Int64.decode(from: cell))
    }
}

extension Int32: PostgresDecodable {
    public static func decode(from cell: PostgresCell) throws(PostgresError) -> Int32 {
        let wide = try Int64.decode(from: cell)
        guard let value = Int32(exactly: wide) else { throw cell.decodingError("Int32 (value \(wide))") }
        return value
    }
}

extension Bool: PostgresDecodable {
    public static func decode(from cell: PostgresCell) throws(PostgresError) -> Bool {
        let bytes = try cell.requireBytes("Bool")
        guard cell.column.typeOID == PGType.bool, let byte = bytes.first, bytes.count == 1 else {
            throw cell.decodingError("Bool")
        }
        return byte != 0
    }
}

extension Double: PostgresDecodable {
    public static func decode(from cell: PostgresCell) throws(PostgresError) -> Double {
        let bytes = try cell.requireBytes("Double")
        switch cell.column.typeOID {
        case PGType.float8:
            if let bits = readBigEndian(UInt64.self, bytes) { return Double(bitPattern: bits) }
        case PGType.float4:
            if let bits = readBigEndian(UInt32.self, bytes) { return Double(Float(bitPattern: bits)) }
        case PGType.int2, PGType.int4, PGType.int8:
            return Double(try Int64.decode(from: cell))
        case PGType.numeric:
            if let text = NumericText.format(bytes), let value = Double(text) { return value }
        default:
            break
        }
        throw cell.decodingError("Double")
    }
}

extension Array: PostgresDecodable where Element == UInt8 {
    /// `bytea` as is; text-like columns as their UTF-8 bytes.
    public static func decode(from cell: PostgresCell) throws(PostgresError) -> [UInt8] {
        let bytes = try cell.requireBytes("[UInt8]")
        guard cell.column.typeOID == PGType.bytea || PGType.isTextLike(cell.column.typeOID) else {
            throw cell.decodingError("[UInt8]")
        }
        return Array(bytes)
    }
}

extension String: PostgresDecodable {
    /// Text-like columns, jsonb, uuid (canonical form), numeric and integers (decimal).
    public static func decode(from cell: PostgresCell) throws(PostgresError) -> String {
        let bytes = try cell.requireBytes("String")
        let oid = cell.column.typeOID
        if PGType.isTextLike(oid) {
            return bytes.withUnsafeBufferPointer { String(decoding: $0, as: UTF8.self) }
        }
        switch oid {
        case PGType.jsonb:
            // Binary jsonb is a version byte (1) followed by the JSON text.
            if bytes.first == 1 { return String(decoding: bytes.dropFirst(), as: UTF8.self) }
        case PGType.uuid:
            if bytes.count == 16 { return formatUUID(bytes) }
        case PGType.numeric:
            if let text = NumericText.format(bytes) { return text }
        case PGType.int2, PGType.int4, PGType.int8, PGType.oid:
            return String(try Int64.decode(from: cell))
        default:
            break
        }
        throw cell.decodingError("String")
    }

    private static func formatUUID(_ bytes: ArraySlice<UInt8>) -> String {
        let hex = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(36)
        for (offset, byte) in bytes.enumerated() {
            if offset == 4 || offset == 6 || offset == 8 || offset == 10 { out.append(UInt8(ascii: "-")) }
            out.append(hex[Int(byte >> 4)])
            out.append(hex[Int(byte & 0xF)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}

/// Binary `numeric` to its decimal text: base-10000 digit groups with a weight (position of
/// the first group relative to the decimal point) and a display scale.
enum NumericText {
    static func format(_ bytes: ArraySlice<UInt8>) -> String? {
        let raw = Array(bytes)
        guard raw.count >= 8 else { return nil }
        func int16(at offset: Int) -> Int { Int(Int16(bitPattern: UInt16(raw[offset]) << 8 | UInt16(raw[offset + 1]))) }
        let ndigits = int16(at: 0), weight = int16(at: 2), sign = UInt16(raw[4]) << 8 | UInt16(raw[5]), dscale = int16(at: 6)
        guard ndigits >= 0, raw.count == 8 + 2 * ndigits else { return nil }
        switch sign {
        case 0xC000: return "NaN"
        case 0xD000: return "Infinity"
        case 0xF000: return "-Infinity"
        case 0x0000, 0x4000: break
        default: return nil
        }
        let groups = (0..<ndigits).map { int16(at: 8 + 2 * $0) }
        func group(_ index: Int) -> Int { index >= 0 && index < groups.count ? groups[index] : 0 }
        var integerPart = ""
        if weight < 0 {
            integerPart = "0"
        } else {
            for index in 0...weight {
                let value = group(index)
                integerPart += index == 0 ? String(value) : pad4(value)
            }
        }
        var text = (sign == 0x4000 ? "-" : "") + integerPart
        if dscale > 0 {
            var fraction = ""
            var index = weight + 1
            while fraction.count < dscale {
                fraction += pad4(group(index))
                index += 1
            }
            text += "." + fraction.prefix(dscale)
        }
        return text
    }

    private static func pad4(_ value: Int) -> String {
        let digits = String(value)
        return String(repeating: "0", count: max(0, 4 - digits.count)) + digits
    }
}
