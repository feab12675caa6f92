import NetIO

/// gRPC metadata: ordered, case-insensitive names (stored lower-cased), repeated names allowed.
/// Names ending in `-bin` carry binary values (base64 on the wire, unpadded when sent).
public struct Metadata: Sendable, Equatable, Sequence {
    public enum Value: Sendable, Equatable {
        case text(String)
        case binary([UInt8])
    }

    public struct Entry: Sendable, Equatable {
        public let name: String
        public let value: Value
    }

    public private(set) var entries: [Entry] = []

    public init() {}

    public init(_ pairs: [(String, String)]) {
        for (name, value) in pairs { add(name, value) }
    }

    public var isEmpty: Bool { entries.isEmpty }
    public var count: Int { entries.count }

    public mutating func add(_ name: String, _ value: String) {
        entries.append(Entry(name: Metadata.lowered(name), value: .text(value)))
    }

    public mutating func add(_ name: String, binary value: [UInt8]) {
        entries.append(Entry(name: Metadata.lowered(name), value: .binary(value)))
    }

    public mutating func add(_ entry: Entry) { entries.append(entry) }

    public mutating func removeAll(named name: String) {
        let lowered = Metadata.lowered(name)
        // Looked for first: removing in place copies entries shared with another value (the
        // outbox's deliveries start from one cached actor metadata and remove names it lacks).
        guard entries.contains(where: { $0.name == lowered }) else { return }
        entries.removeAll { $0.name == lowered }
    }

    /// The first text value for `name`.
    public subscript(name: String) -> String? {
        let lowered = Metadata.lowered(name)
        for entry in entries where entry.name == lowered {
            if case .text(let text) = entry.value { return text }
        }
        return nil
    }

    /// The first binary value for a `-bin` name.
    public func binary(_ name: String) -> [UInt8]? {
        let lowered = Metadata.lowered(name)
        for entry in entries where entry.name == lowered {
            if case .binary(let bytes) = entry.value { return bytes }
        }
        return nil
    }

    public func values(_ name: String) -> [Value] {
        let lowered = Metadata.lowered(name)
        return entries.filter { $0.name == lowered }.map(\.value)
    }

    /// Names are stored lower-case. Nearly every name given is lower-case ASCII already:
    /// answered as it is, without `lowercased()`'s Unicode work and copy per lookup.
    static func lowered(_ name: String) -> String {
        if ByteStrings.isLowercaseASCII(name) { return name }
        return name.lowercased()
    }

    public func makeIterator() -> IndexingIterator<[Entry]> { entries.makeIterator() }
}
