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
    private var sql = ""
    private var parameters: [PostgresValue] = []
    private var notes: [any Sendable] = []
    private var last: PostgresStatement?
    private var lastName = ""
    private var unnamed = 0

    public init() {}

    /// Appends `statement`; `name` is how a later part reads its RETURNING (a part nobody reads
    /// gets a name of its own). Every part but the last ends up in the `WITH` list.
    public mutating func append(_ statement: PostgresStatement, as name: String? = nil) {
        if let previous = last { addPart(previous, name: lastName) }
        last = statement
        if let name {
            lastName = name
        } else {
            unnamed += 1
            lastName = "fused_\(unnamed)"
        }
    }

    public mutating func append(contentsOf statements: [PostgresStatement]) {
        for statement in statements { append(statement) }
    }

    /// The one statement; nil when nothing was appended.
    public func statement() -> PostgresStatement? {
        guard let last else { return nil }
        var text = sql
        var values = parameters
        var allNotes = notes
        if !text.isEmpty { text += "\n" }
        text += Self.renumbered(last.sql, by: values.count)
        values += last.parameters
        if let note = last.commitNote { allNotes.append(note) }
        let note: (any Sendable)? = switch allNotes.count {
        case 0: nil
        case 1: allNotes[0]
        default: CommitNoteList(allNotes)
        }
        return PostgresStatement(text, values, prepared: last.prepared, commitNote: note)
    }

    private mutating func addPart(_ part: PostgresStatement, name: String) {
        sql += sql.isEmpty ? "WITH " : ",\n"
        sql += name + " AS (\n" + Self.renumbered(part.sql, by: parameters.count) + "\n)"
        parameters += part.parameters
        if let note = part.commitNote { notes.append(note) }
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
