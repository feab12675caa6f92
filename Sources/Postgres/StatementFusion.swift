import Synchronization

/// Several data-modifying statements as ONE statement: each but the last becomes a named part
/// of a `WITH` list, the last is the statement the list belongs to, and every part's `$n` is
/// renumbered past the parameters of the parts before it. One statement costs the server one
/// bind, one executor start and one set of protocol messages instead of one per statement, and
/// it is atomic on its own: an error in any part (a unique violation, say) writes nothing.
///
/// What a part may be: one INSERT / UPDATE / DELETE (with RETURNING if a later part reads it by
/// its name), without a `WITH` of its own (PostgreSQL allows data-modifying `WITH` only at the
/// top level) and without dollar-quoted text. Every part sees the same snapshot: a part does
/// not see the rows another part writes, except through the other part's RETURNING.
///
/// The parts come from the types that own their SQL (`Outbox.enqueueStatement`,
/// `Timers.scheduleStatement`, ...): this only composes them. Their `commitNote`s travel
/// together as one `CommitNoteList`.
public struct StatementFusion: Sendable {
    /// The parts' SQL and names, in order: what decides the fused text.
    private var shape = Shape()
    /// Each part's parameter count (for renumbering), and everything the parts carry, gathered
    /// as they are appended so `statement()` copies no part.
    private var parameterCounts: [Int] = []
    /// The parts' parameter arrays as they are (one retain per part, not per value).
    private var valueParts: [[PostgresValue]] = []
    private var valueCount = 0
    private var notes: [any Sendable] = []
    private var lastPrepared = true
    private var unnamed = 0
    private let shapes: StatementFusion.Shapes?

    /// `shapes`: where the fused text of each combination of parts is kept, so a caller that
    /// fuses the same kinds of statements on every call (the order intake) renumbers them once
    /// per combination instead of on every call (it was ~15 us of an order's service CPU).
    public init(shapes: StatementFusion.Shapes? = nil) {
        self.shapes = shapes
    }

    /// Appends `statement`; `name` is how a later part reads its RETURNING (a part nobody reads
    /// gets a name of its own). Every part but the last ends up in the `WITH` list.
    public mutating func append(_ statement: PostgresStatement, as name: String? = nil) {
        if parameterCounts.isEmpty {
            // Room for an order's parts at once instead of growing by doubling (a dozen parts,
            // some 70 parameters).
            shape.reserve(16)
            parameterCounts.reserveCapacity(16)
            valueParts.reserveCapacity(16)
            notes.reserveCapacity(8)
        }
        if let name {
            shape.append(name: name, sql: statement.sql)
        } else {
            unnamed += 1
            shape.append(name: Self.unnamedPart(unnamed), sql: statement.sql)
        }
        parameterCounts.append(statement.parameterCount)
        switch statement.values {
        case .single(let values): valueParts.append(values)
        case .parts(let parts, _): valueParts += parts
        }
        valueCount += statement.parameterCount
        if let note = statement.commitNote { notes.append(note) }
        lastPrepared = statement.prepared
    }

    public mutating func append(contentsOf statements: [PostgresStatement]) {
        for statement in statements { append(statement) }
    }

    /// The one statement; nil when nothing was appended.
    public func statement() -> PostgresStatement? {
        guard !shape.sql.isEmpty else { return nil }
        let note: (any Sendable)? = switch notes.count {
        case 0: nil
        case 1: notes[0]
        default: CommitNoteList(notes)
        }
        let text: String
        if let shapes {
            if let known = shapes.text(of: shape) {
                text = known
            } else {
                text = fusedText()
                shapes.keep(text, of: shape)
            }
        } else {
            text = fusedText()
        }
        return PostgresStatement(text, parts: valueParts, count: valueCount, prepared: lastPrepared, commitNote: note)
    }

    /// The name of the `number`th part appended without one (spelled once for the usual counts).
    private static func unnamedPart(_ number: Int) -> String {
        number < unnamedParts.count ? unnamedParts[number] : "fused_\(number)"
    }

    private static let unnamedParts = (0..<24).map { "fused_\($0)" }

    /// The parts as one `WITH` statement, each part's `$n` renumbered past the parts before it.
    private func fusedText() -> String {
        var text = ""
        var offset = 0
        let last = shape.sql.count - 1
        for index in 0...last {
            let sql = Self.renumbered(shape.sql[index], by: offset)
            offset += parameterCounts[index]
            if index == last {
                if !text.isEmpty { text += "\n" }
                text += sql
            } else {
                text += text.isEmpty ? "WITH " : ",\n"
                text += shape.names[index] + " AS (\n" + sql + "\n)"
            }
        }
        return text
    }

    /// What decides a fused text: the parts' names and SQL, in order (their parameter counts
    /// follow from the SQL). Hashed by lengths only: the parts' SQL is kilobytes, hashing all of
    /// it on every order cost more than the lookup saved, and equality still compares every
    /// byte (a pointer comparison for the owners' literals) and every name.
    struct Shape: Hashable, Sendable {
        private(set) var names: [String] = []
        private(set) var sql: [String] = []

        mutating func reserve(_ parts: Int) {
            names.reserveCapacity(parts)
            sql.reserveCapacity(parts)
        }

        mutating func append(name: String, sql text: String) {
            names.append(name)
            sql.append(text)
        }

        static func == (lhs: Shape, rhs: Shape) -> Bool { lhs.names == rhs.names && lhs.sql == rhs.sql }

        func hash(into hasher: inout Hasher) {
            hasher.combine(sql.count)
            for (name, text) in zip(names, sql) { hasher.combine(name.utf8.count &<< 32 | text.utf8.count) }
        }
    }

    /// The fused texts made so far, by shape. Bounded: past `limit` shapes it starts again (a
    /// caller whose parts vary without end gains nothing, and holds nothing).
    public final class Shapes: Sendable {
        private let texts = Mutex<[Shape: String]>([:])
        private let limit: Int

        public init(limit: Int = 256) {
            self.limit = limit
        }

        /// How many shapes are kept now.
        public var count: Int { texts.withLock { $0.count } }

        func text(of shape: Shape) -> String? {
            texts.withLock { $0[shape] }
        }

        func keep(_ text: String, of shape: Shape) {
            texts.withLock { texts in
                if texts.count >= limit { texts.removeAll(keepingCapacity: true) }
                texts[shape] = text
            }
        }
    }

    /// `sql` with every parameter reference `$n` made `$(n + offset)`; text in single quotes,
    /// double-quoted identifiers and `--` comments is left alone.
    static func renumbered(_ sql: String, by offset: Int) -> String {
        guard offset > 0 else { return sql }
        let bytes = Array(sql.utf8)
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count + 16)
        var index = 0
        while index < bytes.count {
            let byte = bytes[index]
            switch byte {
            case UInt8(ascii: "'"), UInt8(ascii: "\""):
                // Up to the closing quote; a doubled quote is an escaped one and keeps us inside.
                out.append(byte)
                index += 1
                while index < bytes.count {
                    out.append(bytes[index])
                    index += 1
                    if bytes[index - 1] == byte {
                        if index < bytes.count && bytes[index] == byte {
                            out.append(byte)
                            index += 1
                        } else {
                            break
                        }
                    }
                }
            case UInt8(ascii: "-") where index + 1 < bytes.count && bytes[index + 1] == UInt8(ascii: "-"):
                while index < bytes.count && bytes[index] != UInt8(ascii: "\n") {
                    out.append(bytes[index])
                    index += 1
                }
            case UInt8(ascii: "$") where index + 1 < bytes.count && isDigit(bytes[index + 1])
                && (index == 0 || !isIdentifier(bytes[index - 1])):
                var end = index + 1
                var number = 0
                while end < bytes.count && isDigit(bytes[end]) {
                    number = number * 10 + Int(bytes[end] - UInt8(ascii: "0"))
                    end += 1
                }
                out.append(UInt8(ascii: "$"))
                out += Array(String(number + offset).utf8)
                index = end
            default:
                out.append(byte)
                index += 1
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    private static func isDigit(_ byte: UInt8) -> Bool { byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") }

    /// `abc$1` is an identifier in PostgreSQL, not a parameter.
    private static func isIdentifier(_ byte: UInt8) -> Bool {
        isDigit(byte) || (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z"))
            || (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z")) || byte == UInt8(ascii: "_") || byte >= 0x80
    }
}

/// The `commitNote`s of the statements a `StatementFusion` made one: an observer that looks
/// for its own kind of note unpacks this too.
public struct CommitNoteList: Sendable {
    public let notes: [any Sendable]

    public init(_ notes: [any Sendable]) { self.notes = notes }

    /// `notes` with every list in it unpacked, in order.
    public static func flattened(_ notes: [any Sendable]) -> [any Sendable] {
        guard notes.contains(where: { $0 is CommitNoteList }) else { return notes }
        var flat: [any Sendable] = []
        for note in notes {
            if let list = note as? CommitNoteList { flat += list.notes } else { flat.append(note) }
        }
        return flat
    }
}
