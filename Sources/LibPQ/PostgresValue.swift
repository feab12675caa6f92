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
            var text = value
            text.withUTF8 { utf8 in
                // Most elements (ids, codes) need no escape: copied whole.
                if !utf8.contains(where: { $0 == quote || $0 == backslash }) {
                    literal.append(contentsOf: utf8)
                    return
                }
                for byte in utf8 {
                    if byte == quote || byte == backslash { literal.append(backslash) }
                    literal.append(byte)
                }
            }
            literal.append(quote)
        }
        literal.append(UInt8(ascii: "}"))
        return .text(String(decoding: literal, as: UTF8.self))
    }

    /// An `int[]` / `bigint[]` parameter (cast it: `$1::bigint[]`).
    // Concrete overloads for the usual element types: the generic form, called from another
    // module, runs unspecialised (metadata lookups per element; 2% of an order's service CPU).
    public static func integerArray(_ numbers: [Int]) -> PostgresValue {
        integerLiteral(count: numbers.count) { Int64(numbers[$0]) }
    }

    public static func integerArray(_ numbers: [Int32]) -> PostgresValue {
        integerLiteral(count: numbers.count) { Int64(numbers[$0]) }
    }

    public static func integerArray(_ numbers: [Int64]) -> PostgresValue {
        integerLiteral(count: numbers.count) { numbers[$0] }
    }

    private static func integerLiteral(count: Int, _ number: (Int) -> Int64) -> PostgresValue {
        var literal: [UInt8] = []
        literal.reserveCapacity(2 + count * 8)
        literal.append(UInt8(ascii: "{"))
        for index in 0..<count {
            if index > 0 { literal.append(UInt8(ascii: ",")) }
            appendDecimal(number(index), to: &literal)
        }
        literal.append(UInt8(ascii: "}"))
        return .text(String(decoding: literal, as: UTF8.self))
    }

    public static func integerArray<Number: BinaryInteger>(_ numbers: [Number]) -> PostgresValue {
        // Digits written into one buffer: a String per number, then joined, was 2% of an
        // order's service CPU (three such arrays per order).
        var literal: [UInt8] = []
        literal.reserveCapacity(2 + numbers.count * 8)
        literal.append(UInt8(ascii: "{"))
        for (index, number) in numbers.enumerated() {
            if index > 0 { literal.append(UInt8(ascii: ",")) }
            if let small = Int64(exactly: number) {
                appendDecimal(small, to: &literal)
            } else {
                literal.append(contentsOf: String(number).utf8)
            }
        }
        literal.append(UInt8(ascii: "}"))
        return .text(String(decoding: literal, as: UTF8.self))
    }

    private static func appendDecimal(_ number: Int64, to literal: inout [UInt8]) {
        if number < 0 { literal.append(UInt8(ascii: "-")) }
        var magnitude = number.magnitude
        // Digits from the right into a buffer on the stack, then appended in order (reversing
        // a slice of `literal` in place copied the whole array first).
        var digits: (UInt64, UInt64, UInt64) = (0, 0, 0)
        withUnsafeMutableBytes(of: &digits) { buffer in
            var index = buffer.count
            repeat {
                index -= 1
                buffer[index] = UInt8(ascii: "0") + UInt8(magnitude % 10)
                magnitude /= 10
            } while magnitude > 0
            literal.append(contentsOf: UnsafeRawBufferPointer(rebasing: buffer[index...]))
        }
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

/// Microseconds between the Unix epoch and PostgreSQL's epoch (2000-01-01 UTC).
let postgresEpochOffsetMicros: Int64 = 946_684_800_000_000
