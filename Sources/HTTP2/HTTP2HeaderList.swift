/// Header fields to send, packed into one byte buffer so a whole list costs two allocations
/// (and none when a prebuilt constant list is reused).
public struct HTTP2HeaderList: Sendable {
    var bytes: [UInt8] = []
    var ranges: [HTTP2HeaderBlock.FieldRange] = []

    public init() {}

    public init(_ pairs: [(String, String)]) {
        for (name, value) in pairs { add(name, value) }
    }

    public var count: Int { ranges.count }
    public var isEmpty: Bool { ranges.isEmpty }

    public mutating func add(_ name: String, _ value: String) {
        let start = Int32(bytes.count)
        bytes.append(contentsOf: name.utf8)
        let nameEnd = Int32(bytes.count)
        bytes.append(contentsOf: value.utf8)
        ranges.append(.init(nameStart: start, nameEnd: nameEnd, valueEnd: Int32(bytes.count)))
    }

    public mutating func add<Name: Collection, Value: Collection>(name: Name, value: Value)
    where Name.Element == UInt8, Value.Element == UInt8 {
        let start = Int32(bytes.count)
        bytes.append(contentsOf: name)
        let nameEnd = Int32(bytes.count)
        bytes.append(contentsOf: value)
        ranges.append(.init(nameStart: start, nameEnd: nameEnd, valueEnd: Int32(bytes.count)))
    }

    /// Bytes of names and values held so far.
    public var byteCount: Int { bytes.count }

    /// Room for `bytes` bytes of names and values and `fields` fields in all: a list copied
    /// from a prebuilt one and then extended allocates once instead of growing step by step.
    public mutating func reserveCapacity(bytes byteCapacity: Int, fields: Int) {
        bytes.reserveCapacity(byteCapacity)
        ranges.reserveCapacity(fields)
    }

    /// Adds a field whose value `writeValue` appends to the given bytes (an encoded value
    /// written in place, without a String of its own first).
    public mutating func add(_ name: String, writingValue writeValue: (inout [UInt8]) -> Void) {
        let start = Int32(bytes.count)
        bytes.append(contentsOf: name.utf8)
        let nameEnd = Int32(bytes.count)
        writeValue(&bytes)
        ranges.append(.init(nameStart: start, nameEnd: nameEnd, valueEnd: Int32(bytes.count)))
    }

    public mutating func append(contentsOf other: HTTP2HeaderList) {
        let shift = Int32(bytes.count)
        bytes.append(contentsOf: other.bytes)
        for range in other.ranges {
            ranges.append(.init(nameStart: range.nameStart + shift, nameEnd: range.nameEnd + shift,
                                valueEnd: range.valueEnd + shift))
        }
    }
}
