/// Free text typed by people (names, addresses, notes): trimmed the same way everywhere and
/// refused when it carries what no person means to type (control characters, unpaired
/// formatting marks, replacement characters left by a broken encoding).
extension String {
    /// Without leading and trailing whitespace: ASCII, no-break, ideographic (full-width) and
    /// the other Unicode spaces, plus zero-width marks pasted with them.
    public var trimmedForPeople: String {
        // Printable ASCII at both ends (ids, codes, most names): nothing to trim, and no
        // scalar decoding to find that out.
        if let head = utf8.first, let tail = utf8.last, (0x21...0x7E).contains(head), (0x21...0x7E).contains(tail) {
            return self
        }
        let scalars = unicodeScalars
        // Most text has nothing to trim: itself, without building a copy.
        if let head = scalars.first, let tail = scalars.last, !PeopleText.isTrimmable(head), !PeopleText.isTrimmable(tail) {
            return self
        }
        guard let first = scalars.firstIndex(where: { !PeopleText.isTrimmable($0) }),
              let last = scalars.lastIndex(where: { !PeopleText.isTrimmable($0) }) else { return "" }
        return String(scalars[first...last])
    }
}

public enum PeopleText {
    /// What is wrong with `text` as a single-line field (a name, an address), or nil. `text`
    /// should already be trimmed. `maxLength` counts characters as people see them.
    public static func problem(with text: String, required: Bool = true, maxLength: Int) -> String? {
        if text.isEmpty { return required ? "required" : nil }
        if text.utf8.count > maxLength && text.count > maxLength { return "too long: at most \(maxLength) characters (got \(text.count))" }
        for scalar in text.unicodeScalars {
            if let reason = refusal(scalar, multiline: false) { return reason }
        }
        return nil
    }

    /// As `problem(with:)` for text that may span lines (notes, content): newlines and tabs allowed.
    public static func multilineProblem(with text: String, required: Bool = true, maxLength: Int) -> String? {
        if text.isEmpty { return required ? "required" : nil }
        if text.utf8.count > maxLength && text.count > maxLength { return "too long: at most \(maxLength) characters (got \(text.count))" }
        for scalar in text.unicodeScalars {
            if let reason = refusal(scalar, multiline: true) { return reason }
        }
        return nil
    }

    private static func refusal(_ scalar: Unicode.Scalar, multiline: Bool) -> String? {
        switch scalar.value {
        case 0x0A, 0x0D, 0x09:
            return multiline ? nil : "must be one line (no line breaks or tabs)"
        case 0x00...0x1F, 0x7F...0x9F:
            return "contains a control character (U+\(hex(scalar))): retype it without pasted invisible characters"
        case 0xFFFD:
            return "contains U+FFFD, the mark of text damaged by a wrong encoding: retype it"
        case 0x200B...0x200F, 0x202A...0x202E, 0x2060...0x2064, 0xFEFF:
            return "contains an invisible formatting character (U+\(hex(scalar))): retype it"
        case 0xE000...0xF8FF:
            return "contains a private-use character (U+\(hex(scalar))) that displays differently everywhere"
        default:
            return nil
        }
    }

    static func isTrimmable(_ scalar: Unicode.Scalar) -> Bool {
        // Unicode's White_Space set spelled out (it is closed: the same 25 code points since
        // Unicode 4.1) plus the zero-width marks: the property table's lookup for every field's
        // first and last character was ~1.5% of an order's service CPU. `PeopleTextTests`
        // checks this against `properties.isWhitespace` over every scalar.
        switch scalar.value {
        case 0x09...0x0D, 0x20, 0x85, 0xA0, 0x1680, 0x2000...0x200A, 0x2028, 0x2029, 0x202F, 0x205F, 0x3000:
            return true
        case 0x200B, 0xFEFF:
            return true
        default:
            return false
        }
    }

    private static func hex(_ scalar: Unicode.Scalar) -> String {
        let digits = String(scalar.value, radix: 16, uppercase: true)
        return String(repeating: "0", count: max(0, 4 - digits.count)) + digits
    }
}
