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

    /// Appends `values` in wire form: binary for fixed-size types (no formatting or parsing on
    /// either side), text for strings so the server can infer their type. `firstPosition` ($n
    /// of the first value) only names a parameter in errors. The values are written into one
    /// scratch buffer and copied onto the pipeline's bytes at once: appending value by value
    /// cost ~250 instructions per parameter, some 60 per order (issue 15). On an error nothing
    /// of `values` is kept.
    public mutating func append(contentsOf values: [PostgresValue], firstPosition: Int) throws(PostgresError) {
        var size = 0
        for value in values { size += Self.encodedSize(value) }
        let slotsBefore = slots.count
        let base = bytes.count
        let written: Result<Void, PostgresError> = withUnsafeTemporaryAllocation(byteCount: max(size, 1), alignment: 8) { scratch in
            let target = scratch.baseAddress!
            var offset = 0
            for (index, value) in values.enumerated() {
                let start = Int32(base + offset)
                switch value {
                case .null:
                    slots.append(Slot(start: 0, length: -1, format: 0, type: 0))
                case .text(let string):
                    var text = string
                    let hasNUL = text.withUTF8 { utf8 -> Bool in
                        guard let source = utf8.baseAddress, !utf8.isEmpty else { return false }
                        (target + offset).copyMemory(from: source, byteCount: utf8.count)
                        return memchr(source, 0, utf8.count) != nil
                    }
                    // PostgreSQL text cannot hold NUL, and libpq would silently cut the value there.
                    if hasNUL {
                        return .failure(PostgresError(.usage, "parameter $\(firstPosition + index) contains a NUL character"))
                    }
                    let count = string.utf8.count
                    target.storeBytes(of: 0, toByteOffset: offset + count, as: UInt8.self)
                    slots.append(Slot(start: start, length: Int32(count), format: 0, type: 0))
                    offset += count + 1
                case .int64(let number):
                    Self.store(number, at: target + offset)
                    slots.append(Slot(start: start, length: 8, format: 1, type: PGType.int8))
                    offset += 8
                case .int32(let number):
                    Self.store(number, at: target + offset)
                    slots.append(Slot(start: start, length: 4, format: 1, type: PGType.int4))
                    offset += 4
                case .bool(let flag):
                    target.storeBytes(of: flag ? 1 : 0, toByteOffset: offset, as: UInt8.self)
                    slots.append(Slot(start: start, length: 1, format: 1, type: PGType.bool))
                    offset += 1
                case .double(let number):
                    Self.store(number.bitPattern, at: target + offset)
                    slots.append(Slot(start: start, length: 8, format: 1, type: PGType.float8))
                    offset += 8
                case .bytea(let data):
                    data.withUnsafeBytes { source in
                        if let from = source.baseAddress { (target + offset).copyMemory(from: from, byteCount: source.count) }
                    }
                    slots.append(Slot(start: start, length: Int32(data.count), format: 1, type: PGType.bytea))
                    offset += data.count
                case .timestampMillis(let millis):
                    let (micros, overflow) = millis.multipliedReportingOverflow(by: 1000)
                    let (sincePGEpoch, overflow2) = micros.subtractingReportingOverflow(postgresEpochOffsetMicros)
                    if overflow || overflow2 {
                        return .failure(PostgresError(.usage, "parameter $\(firstPosition + index): timestamp \(millis) ms is out of range"))
                    }
                    Self.store(sincePGEpoch, at: target + offset)
                    slots.append(Slot(start: start, length: 8, format: 1, type: PGType.timestamptz))
                    offset += 8
                }
            }
            bytes.append(contentsOf: UnsafeRawBufferPointer(start: target, count: offset).bindMemory(to: UInt8.self))
            return .success(())
        }
        if case .failure(let error) = written {
            slots.removeSubrange(slotsBefore...)
            throw error
        }
    }

    /// Bytes `value` takes in the pipeline's buffer (text with its NUL).
    private static func encodedSize(_ value: PostgresValue) -> Int {
        switch value {
        case .null: 0
        case .text(let string): string.utf8.count + 1
        case .int64, .double, .timestampMillis: 8
        case .int32: 4
        case .bool: 1
        case .bytea(let data): data.count
        }
    }

    private static func store<T: FixedWidthInteger>(_ value: T, at target: UnsafeMutableRawPointer) {
        target.storeBytes(of: value.bigEndian, as: T.self)
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
