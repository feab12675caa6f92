/// The parser behind `MainlandPhone`: cleans what people type into bare ASCII digits, strips
/// the country code, then checks the structure of a mobile or a landline number.
enum PhoneParsing {
    struct Parsed {
        var digits: String
        var kind: MainlandPhone.Kind
    }

    /// Longest input looked at: no real spelling of a number is longer.
    static let maxInputLength = 40

    static func parse(_ raw: String) -> Parsed? {
        // Most numbers arrive as they are kept: eleven ASCII digits of a mobile. Accepted
        // without cleaning (the general path below gives the same answer for them).
        if raw.utf8.count == 11, raw.utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }),
           let mobile = mobile(raw) {
            return mobile
        }
        let trimmed = raw.trimmedForPeople
        guard trimmed.unicodeScalars.count <= maxInputLength, let cleaned = clean(trimmed) else { return nil }
        var digits = cleaned.digits
        var hadCountryCode = cleaned.plus
        if cleaned.plus {
            guard digits.hasPrefix("86") else { return nil }
            digits.removeFirst(2)
        } else if digits.hasPrefix("0086") {
            digits.removeFirst(4)
            hadCountryCode = true
        } else if digits.hasPrefix("86") && (digits.count == 13 || (digits.count >= 11 && digits.dropFirst(2).first != "1")) {
            // "86 138…" (13 digits) or "86 23 8888 9999": a country code without its plus.
            // A bare 11-digit number starting 86 is not a mobile, so it stays a failure below.
            digits.removeFirst(2)
            hadCountryCode = true
        }
        if let mobile = mobile(digits) { return mobile }
        // After a country code the trunk 0 is dropped ("+86 23 8888 9999"); put it back.
        if hadCountryCode && !digits.hasPrefix("0") { digits = "0" + digits }
        return landline(digits)
    }

    private static func mobile(_ digits: String) -> Parsed? {
        let bytes = Array(digits.utf8)
        guard bytes.count == 11, bytes[0] == UInt8(ascii: "1"),
              (UInt8(ascii: "3")...UInt8(ascii: "9")).contains(bytes[1]) else { return nil }
        return Parsed(digits: digits, kind: .mobile)
    }

    private static func landline(_ digits: String) -> Parsed? {
        let bytes = Array(digits.utf8)
        guard bytes.count >= 10, bytes.count <= 12, bytes[0] == UInt8(ascii: "0"),
              bytes[1] != UInt8(ascii: "0") else { return nil }
        // 010 and 02x are the three-digit area codes (Beijing, and 020-029); every other code
        // is four digits.
        let threeDigitCode = bytes[1] == UInt8(ascii: "1") ? bytes[2] == UInt8(ascii: "0") : bytes[1] == UInt8(ascii: "2")
        // A "01x" code other than 010 does not exist: 01 is followed by 0 only.
        if bytes[1] == UInt8(ascii: "1") && !threeDigitCode { return nil }
        let codeLength = threeDigitCode ? 3 : 4
        let local = bytes[codeLength...]
        let allowed = threeDigitCode ? 8...8 : 7...8
        guard allowed.contains(local.count), let first = local.first,
              first != UInt8(ascii: "0"), first != UInt8(ascii: "1") else { return nil }
        return Parsed(digits: digits, kind: .landline)
    }

    /// ASCII digits of `raw` and whether it began with a plus, or nil on any character that is
    /// not a digit (ASCII or full-width), a leading plus, or a separator people use.
    private static func clean(_ raw: String) -> (digits: String, plus: Bool)? {
        var digits = ""
        var plus = false
        var seenContent = false
        for scalar in raw.unicodeScalars {
            switch scalar.value {
            case 0x30...0x39:
                digits.unicodeScalars.append(scalar)
            case 0xFF10...0xFF19:  // full-width ０-９
                digits.unicodeScalars.append(Unicode.Scalar(scalar.value - 0xFF10 + 0x30)!)
            case 0x2B, 0xFF0B:  // + and full-width ＋, only before any digit
                guard !seenContent, !plus else { return nil }
                plus = true
            case _ where isSeparator(scalar):
                break
            default:
                return nil
            }
            if scalar.value != 0x2B && scalar.value != 0xFF0B && !isSeparator(scalar) { seenContent = true }
        }
        return digits.isEmpty ? nil : (digits, plus)
    }

    /// Spaces (ASCII, no-break, ideographic), tabs, dashes of every width, dots and brackets
    /// (ASCII and full-width): what people put between the groups of a number.
    private static func isSeparator(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x20, 0x09, 0xA0, 0x3000,            // spaces, tab, no-break, ideographic
             0x2D, 0x2010, 0x2011, 0x2012, 0x2013, 0x2014, 0x2212, 0xFF0D,  // dashes, minus, full-width －
             0x2E, 0xFF0E,                         // . ．
             0x28, 0x29, 0xFF08, 0xFF09:           // ( ) （ ）
            return true
        default:
            return false
        }
    }
}
