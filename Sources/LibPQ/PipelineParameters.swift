import Glibc

/// Every parameter of one pipeline, encoded straight into the layout libpq reads: all values'
/// bytes in one buffer (text NUL-terminated, since libpq reads text parameters as C strings),
/// and per parameter its type OID, format (0 text, 1 binary), start and length (-1 = NULL).
/// A step names its parameters as a range of these. An order's intake sends ~60 parameters:
/// encoding each into its own array, then copying all of them into libpq's layout per
/// statement, was one of the larger costs of the Postgres client in the profile (issue 15).
public struct PipelineParameters: Sendable {
    /// Starts with a placeholder byte, so the buffer has an address even when every value is
    /// empty (an empty binary value needs a non-NULL pointer: NULL means SQL NULL).
    var bytes: [UInt8] = [0]
    /// Per parameter, where its bytes are and how libpq sends them: one array, one append per
    /// parameter (four arrays cost four uniqueness and capacity checks per value).
    var slots: [Slot] = []

    struct Slot {
        let start: Int32
        /// -1: NULL.
        let length: Int32
        /// 0 text, 1 binary.
        let format: Int32
        /// Type OID (0 = let the server infer the type: text and NULL).
        let type: UInt32
    }

    public init() {}

    public var count: Int { slots.count }

    /// The type OIDs of the parameters in `range` (0 = inferred by the server).
    public func types(in range: Range<Int>) -> [UInt32] { slots[range].map(\.type) }

    public mutating func reserveCapacity(_ parameters: Int) {
        slots.reserveCapacity(parameters)
        // A guess of 16 bytes per value, kept under glibc's large-request size (1 KiB): a large
        // request makes malloc first consolidate every free small chunk, on every pipeline.
        bytes.reserveCapacity(min(parameters * 16, Self.largeRequestBelow))
    }

    /// The most a reservation asks for (with the array's header, under 1 KiB).
    static let largeRequestBelow = 960

    /// Appends one value in wire form: binary for fixed-size types (no formatting or parsing on
    /// either side), text for strings so the server can infer their type. `position` ($n)
    /// only names the parameter in errors.
    public mutating func append(_ value: PostgresValue, position: Int) throws(PostgresError) {
        switch value {
        case .null:
            add(type: 0, format: 0, start: 0, length: -1)
        case .text(let string):
            let start = bytes.count
            var text = string
            let hasNUL = text.withUTF8 { utf8 -> Bool in
                guard let base = utf8.baseAddress, !utf8.isEmpty else { return false }
                bytes.append(contentsOf: utf8)
                return memchr(base, 0, utf8.count) != nil
            }
            // PostgreSQL text cannot hold NUL, and libpq would silently cut the value there.
            if hasNUL {
                bytes.removeSubrange(start...)
                throw PostgresError(.usage, "parameter $\(position) contains a NUL character")
            }
            bytes.append(0)
            add(type: 0, format: 0, start: start, length: bytes.count - start - 1)
        case .int64(let number):
            appendBinary(number, type: PGType.int8)
        case .int32(let number):
            appendBinary(number, type: PGType.int4)
        case .bool(let flag):
            let start = bytes.count
            bytes.append(flag ? 1 : 0)
            add(type: PGType.bool, format: 1, start: start, length: 1)
        case .double(let number):
            appendBinary(number.bitPattern, type: PGType.float8)
        case .bytea(let data):
            let start = bytes.count
            bytes.append(contentsOf: data)
            add(type: PGType.bytea, format: 1, start: start, length: data.count)
        case .timestampMillis(let millis):
            let (micros, overflow) = millis.multipliedReportingOverflow(by: 1000)
            let (sincePGEpoch, overflow2) = micros.subtractingReportingOverflow(postgresEpochOffsetMicros)
            if overflow || overflow2 {
                throw PostgresError(.usage, "parameter $\(position): timestamp \(millis) ms is out of range")
            }
            appendBinary(sincePGEpoch, type: PGType.timestamptz)
        }
    }

    private mutating func appendBinary<T: FixedWidthInteger>(_ value: T, type: UInt32) {
        let start = bytes.count
        withUnsafeBytes(of: value.bigEndian) { bytes.append(contentsOf: $0) }
        add(type: type, format: 1, start: start, length: T.bitWidth / 8)
    }

    private mutating func add(type: UInt32, format: Int32, start: Int, length: Int) {
        slots.append(Slot(start: Int32(start), length: Int32(length), format: format, type: type))
    }

    /// Whether the parameters in `range` have exactly `types` (a prepared statement's types).
    public func types(in range: Range<Int>, equal other: [UInt32]) -> Bool {
        guard other.count == range.count else { return false }
        var index = range.lowerBound
        for type in other {
            if slots[index].type != type { return false }
            index += 1
        }
        return true
    }

    /// The parameters in libpq's layout for the duration of `body`: value pointers (nil for
    /// NULL), lengths, formats, types, each indexed like the parameters (a step passes the
    /// addresses of its range). libpq copies the data before the send call returns.
    func withLibPQArrays<R>(_ body: (UnsafePointer<UnsafePointer<CChar>?>, UnsafePointer<Int32>,
                                     UnsafePointer<Int32>, UnsafePointer<UInt32>) -> R) -> R {
        // On the stack for any ordinary pipeline; one element at least, so the addresses exist.
        let count = slots.count, room = max(slots.count, 1)
        return withUnsafeTemporaryAllocation(of: UnsafePointer<CChar>?.self, capacity: room) { values in
            withUnsafeTemporaryAllocation(of: Int32.self, capacity: 2 * room) { numbers in
                withUnsafeTemporaryAllocation(of: UInt32.self, capacity: room) { types in
                    bytes.withUnsafeBufferPointer { data in
                        let base = UnsafeRawPointer(data.baseAddress!)
                        values[0] = nil
                        numbers[0] = 0
                        numbers[room] = 0
                        types[0] = 0
                        slots.withUnsafeBufferPointer { slots in
                            for index in 0..<count {
                                let slot = slots[index]
                                values[index] = slot.length < 0
                                    ? nil : (base + Int(slot.start)).assumingMemoryBound(to: CChar.self)
                                numbers[index] = slot.length
                                numbers[room + index] = slot.format
                                types[index] = slot.type
                            }
                        }
                        // Lengths first, formats after them, in one allocation.
                        return body(UnsafePointer(values.baseAddress!), UnsafePointer(numbers.baseAddress!),
                                    UnsafePointer(numbers.baseAddress! + room), UnsafePointer(types.baseAddress!))
                    }
                }
            }
        }
    }
}
