/// Masks mainland-China mobile numbers wherever they appear in text: `13812345678`,
/// `+8613812345678`, `86 138-1234-5678` all become `138****5678`. Logs must never carry a
/// customer's full number (ARCHITECTURE.md, "Logs").
///
/// A number is 11 digits starting 1[3-9], optionally split 3-4-4 by one space or dash, optionally
/// prefixed by `+86`/`86` (with an optional space or dash), and not part of a longer digit run,
/// so order ids and amounts that merely contain such digits are left alone.
public enum PhoneMasking {
    public static func mask(_ text: String) -> String {
        let utf8 = Array(text.utf8)
        // Cheap exit for the common case: no run of at least 11 digits-or-separators.
        guard mightContainPhone(utf8) else { return text }
        var output: [UInt8] = []
        output.reserveCapacity(utf8.count)
        var index = 0
        while index < utf8.count {
            let atBoundary = index == 0 || !isDigit(utf8[index - 1])
            if atBoundary, let match = matchPhone(utf8, at: index) {
                output.append(contentsOf: match.masked)
                index = match.end
            } else {
                output.append(utf8[index])
                index += 1
            }
        }
        return String(decoding: output, as: UTF8.self)
    }

    private static func mightContainPhone(_ bytes: [UInt8]) -> Bool {
        var digits = 0
        for byte in bytes {
            if isDigit(byte) {
                digits += 1
                if digits >= 11 { return true }
            } else if byte != UInt8(ascii: " ") && byte != UInt8(ascii: "-") && byte != UInt8(ascii: "+") {
                digits = 0
            }
        }
        return false
    }

    private struct Match {
        let end: Int
        let masked: [UInt8]
    }

    private static func matchPhone(_ bytes: [UInt8], at start: Int) -> Match? {
        if bytes[start] == UInt8(ascii: "+") {
            guard let afterCode = countryCode(bytes, at: start + 1) else { return nil }
            return matchNumber(bytes, at: afterCode)
        }
        if let afterCode = countryCode(bytes, at: start), let match = matchNumber(bytes, at: afterCode) {
            return match
        }
        return matchNumber(bytes, at: start)
    }

    /// Index after `86` and an optional separator, or nil.
    private static func countryCode(_ bytes: [UInt8], at index: Int) -> Int? {
        guard index + 1 < bytes.count, bytes[index] == UInt8(ascii: "8"), bytes[index + 1] == UInt8(ascii: "6") else {
            return nil
        }
        let next = index + 2
        if next < bytes.count, isSeparator(bytes[next]) { return next + 1 }
        return next
    }

    private static func matchNumber(_ bytes: [UInt8], at start: Int) -> Match? {
        var digits: [UInt8] = []
        var index = start
        while digits.count < 11 {
            guard index < bytes.count else { return nil }
            let byte = bytes[index]
            if isDigit(byte) {
                digits.append(byte)
                index += 1
            } else if (digits.count == 3 || digits.count == 7) && isSeparator(byte)
                        && index + 1 < bytes.count && isDigit(bytes[index + 1]) {
                index += 1
            } else {
                return nil
            }
        }
        guard digits[0] == UInt8(ascii: "1"), digits[1] >= UInt8(ascii: "3"), digits[1] <= UInt8(ascii: "9") else {
            return nil
        }
        if index < bytes.count && isDigit(bytes[index]) { return nil }
        return Match(end: index, masked: Array(digits[0..<3]) + Array("****".utf8) + Array(digits[7..<11]))
    }

    private static func isDigit(_ byte: UInt8) -> Bool {
        byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")
    }

    private static func isSeparator(_ byte: UInt8) -> Bool {
        byte == UInt8(ascii: " ") || byte == UInt8(ascii: "-")
    }
}
