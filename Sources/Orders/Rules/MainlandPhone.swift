/// Mainland China mobile numbers: 11 digits, `1[3-9]` then 9 digits. People type them with
/// spaces, dashes and a +86/0086 prefix; we store the bare 11 digits.
enum MainlandPhone {
    /// The normalised number, or nil when the input is not a mainland mobile number.
    static func normalise(_ raw: String) -> String? {
        var digits = ""
        for (offset, character) in raw.trimmingSpaces.enumerated() {
            if character == "+" && offset == 0 { continue }
            if character == " " || character == "-" { continue }
            guard character.isASCII, character.isNumber else { return nil }
            digits.append(character)
        }
        if digits.count == 13, digits.hasPrefix("86") { digits.removeFirst(2) }
        if digits.count == 15, digits.hasPrefix("0086") { digits.removeFirst(4) }
        guard digits.count == 11 else { return nil }
        let bytes = Array(digits.utf8)
        guard bytes[0] == UInt8(ascii: "1"), (UInt8(ascii: "3")...UInt8(ascii: "9")).contains(bytes[1]) else { return nil }
        return digits
    }
}

extension String {
    /// Without leading and trailing spaces, tabs and newlines (ASCII and the ideographic space).
    var trimmingSpaces: String {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" || $0 == "\n" || $0 == "\r" || $0 == "\u{3000}" }
        guard let first = firstIndex(where: { !isSpace($0) }), let last = lastIndex(where: { !isSpace($0) }) else { return "" }
        return String(self[first...last])
    }
}
