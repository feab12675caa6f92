/// Rows for `COPY ... FROM STDIN` in PostgreSQL's text format (tab between fields, newline after
/// each row, `\N` for NULL, backslash escapes), built byte by byte into one buffer.
public struct CopyTextRows: Sendable {
    public private(set) var bytes: [UInt8] = []
    public private(set) var rowCount = 0
    private var fieldsInRow = 0

    public init(reservingBytes: Int = 0) {
        bytes.reserveCapacity(reservingBytes)
    }

    /// A text field, escaped so tabs, newlines and backslashes in it are data, not framing.
    public mutating func append(_ text: String) {
        separate()
        var text = text
        text.withUTF8 { utf8 in
            for byte in utf8 {
                switch byte {
                case UInt8(ascii: "\\"): bytes.append(UInt8(ascii: "\\")); bytes.append(UInt8(ascii: "\\"))
                case UInt8(ascii: "\t"): bytes.append(UInt8(ascii: "\\")); bytes.append(UInt8(ascii: "t"))
                case UInt8(ascii: "\n"): bytes.append(UInt8(ascii: "\\")); bytes.append(UInt8(ascii: "n"))
                case UInt8(ascii: "\r"): bytes.append(UInt8(ascii: "\\")); bytes.append(UInt8(ascii: "r"))
                default: bytes.append(byte)
                }
            }
        }
    }

    public mutating func append<I: BinaryInteger>(_ value: I) {
        separate()
        bytes.append(contentsOf: String(value).utf8)
    }

    public mutating func appendNull() {
        separate()
        bytes.append(UInt8(ascii: "\\"))
        bytes.append(UInt8(ascii: "N"))
    }

    /// Ends the current row.
    public mutating func endRow() {
        bytes.append(UInt8(ascii: "\n"))
        rowCount += 1
        fieldsInRow = 0
    }

    private mutating func separate() {
        if fieldsInRow > 0 { bytes.append(UInt8(ascii: "\t")) }
        fieldsInRow += 1
    }
}
