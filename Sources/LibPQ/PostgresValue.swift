/// A statement parameter. Parameters always travel separately from the SQL text ($1, $2...),
/// so no value can change what a statement means.
public enum PostgresValue: Sendable, Hashable {
    case null
    /// Sent as text with an unspecified type, so the server infers it from context
    /// (text, varchar, uuid, jsonb, numeric...).
    case text(String)
    case int64(Int64)
    case int32(Int32)
    case bool(Bool)
    case double(Double)
    case bytea([UInt8])
    /// A `timestamptz`, given as Unix milliseconds UTC (the project's time convention).
    case timestampMillis(Int64)

    public static func int(_ value: Int) -> PostgresValue { .int64(Int64(value)) }

    /// A `text[]` parameter (cast it: `$1::text[]`). Elements are quoted and escaped in the
    /// array literal, so any string is safe; it still travels as a parameter.
    public static func textArray(_ values: [String]) -> PostgresValue {
        // By UTF-8 byte, not Character: a quote followed by a combining mark is one Character
        // that compares unequal to a quote, yet PostgreSQL still reads the quote. A quote or
        // backslash is a single ASCII byte, which never occurs inside another scalar's UTF-8,
        // so escaping bytes escapes exactly those scalars; one buffer for the whole literal
        // (building it scalar by scalar cost an import ~40% of its service CPU).
        let quote = UInt8(ascii: "\""), backslash = UInt8(ascii: "\\")
        var literal: [UInt8] = []
        literal.reserveCapacity(values.reduce(2) { $0 + $1.utf8.count + 3 })
        literal.append(UInt8(ascii: "{"))
        for (index, value) in values.enumerated() {
            if index > 0 { literal.append(UInt8(ascii: ",")) }
            literal.append(quote)
            for byte in value.utf8 {
                if byte == quote || byte == backslash { literal.append(backslash) }
                literal.append(byte)
            }
            literal.append(quote)
        }
        literal.append(UInt8(ascii: "}"))
        return .text(String(decoding: literal, as: UTF8.self))
    }

    /// An `int[]` / `bigint[]` parameter (cast it: `$1::bigint[]`).
    public static func integerArray<Number: BinaryInteger>(_ numbers: [Number]) -> PostgresValue {
        .text("{" + numbers.map { String($0) }.joined(separator: ",") + "}")
    }

    public init(_ value: some PostgresEncodable) { self = value.postgresValue }
}

extension PostgresValue: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral,
    ExpressibleByBooleanLiteral, ExpressibleByFloatLiteral, ExpressibleByNilLiteral {
    public init(stringLiteral value: String) { self = .text(value) }
    public init(integerLiteral value: Int64) { self = .int64(value) }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    public init(floatLiteral value: Double) { self = .double(value) }
    public init(nilLiteral: ()) { self = .null }
}

/// Swift values that have a natural PostgreSQL parameter form.
public protocol PostgresEncodable {
    var postgresValue: PostgresValue { get }
}

extension PostgresValue: PostgresEncodable { public var postgresValue: PostgresValue { self } }
extension String: PostgresEncodable { public var postgresValue: PostgresValue { .text(self) } }
extension Substring: PostgresEncodable { public var postgresValue: PostgresValue { .text(String(self)) } }
extension Int: PostgresEncodable { public var postgresValue: PostgresValue { .int64(Int64(self)) } }
extension Int64: PostgresEncodable { public var postgresValue: PostgresValue { .int64(self) } }
extension Int32: PostgresEncodable { public var postgresValue: PostgresValue { .int32(self) } }
extension Bool: PostgresEncodable { public var postgresValue: PostgresValue { .bool(self) } }
extension Double: PostgresEncodable { public var postgresValue: PostgresValue { .double(self) } }
extension Array: PostgresEncodable where Element == UInt8 { public var postgresValue: PostgresValue { .bytea(self) } }
extension Optional: PostgresEncodable where Wrapped: PostgresEncodable {
    public var postgresValue: PostgresValue { self?.postgresValue ?? .null }
}

/// A parameter in wire form: type OID (0 = let the server infer), format (0 text, 1 binary)
/// and bytes (nil = SQL NULL). Text values carry a trailing NUL because libpq reads text
/// parameters as C strings.
public struct EncodedParameter: Sendable, Hashable {
    public var typeOID: UInt32
    public var format: Int32
    public var bytes: [UInt8]?
}

/// Microseconds between the Unix epoch and PostgreSQL's epoch (2000-01-01 UTC).
let postgresEpochOffsetMicros: Int64 = 946_684_800_000_000

extension PostgresValue {
    /// The wire form. Binary for fixed-size types (no formatting/parsing on either side),
    /// text for strings so the server can infer their type.
    public func encoded(position: Int) throws(PostgresError) -> EncodedParameter {
        switch self {
        case .null:
            return EncodedParameter(typeOID: 0, format: 0, bytes: nil)
        case .text(let string):
            var bytes = Array(string.utf8)
            // PostgreSQL text cannot hold NUL, and libpq would silently cut the value there.
            if bytes.contains(0) {
                throw PostgresError(.usage, "parameter $\(position) contains a NUL character")
            }
            bytes.append(0)
            return EncodedParameter(typeOID: 0, format: 0, bytes: bytes)
        case .int64(let value):
            return EncodedParameter(typeOID: PGType.int8, format: 1, bytes: bigEndianBytes(value))
        case .int32(let value):
            return EncodedParameter(typeOID: PGType.int4, format: 1, bytes: bigEndianBytes(value))
        case .bool(let value):
            return EncodedParameter(typeOID: PGType.bool, format: 1, bytes: [value ? 1 : 0])
        case .double(let value):
            return EncodedParameter(typeOID: PGType.float8, format: 1, bytes: bigEndianBytes(value.bitPattern))
        case .bytea(let bytes):
            return EncodedParameter(typeOID: PGType.bytea, format: 1, bytes: bytes)
        case .timestampMillis(let millis):
            let (micros, overflow) = millis.multipliedReportingOverflow(by: 1000)
            let (sincePGEpoch, overflow2) = micros.subtractingReportingOverflow(postgresEpochOffsetMicros)
            if overflow || overflow2 {
                throw PostgresError(.usage, "parameter $\(position): timestamp \(millis) ms is out of range")
            }
            return EncodedParameter(typeOID: PGType.timestamptz, format: 1, bytes: bigEndianBytes(sincePGEpoch))
        }
    }
}

func bigEndianBytes<T: FixedWidthInteger>(_ value: T) -> [UInt8] {
    (0..<(T.bitWidth / 8)).reversed().map { UInt8(truncatingIfNeeded: value >> ($0 * 8)) }
}
