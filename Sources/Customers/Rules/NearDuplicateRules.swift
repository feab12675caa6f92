import DomainKit

/// What makes two customers of a team look like one person (DOMAIN.md: "same name and
/// address, different phone"; and a phone typed with two neighbouring digits swapped).
enum NearDuplicateRules {
    /// A name or address as compared: lower-cased, without any whitespace or common
    /// punctuation, so "重庆市 渝中区 解放碑1号" and "重庆市渝中区解放碑1号" match.
    static func key(_ text: String) -> String {
        simpleKey(text) ?? String(text.lowercased().filter { !$0.isWhitespace && !dropped.contains($0) })
    }

    static let dropped: Set<Character> = [",", ".", "，", "。", "、", "-", "－", "(", ")", "（", "）", "#", "＃"]

    /// `key` by UTF-8 bytes for the text names and addresses are made of (ASCII, CJK
    /// ideographs and punctuation, full-width ASCII), nil for anything else. In those ranges
    /// every scalar is a Character of its own (none extends or joins a neighbour; CR LF are
    /// both dropped either way) and lower-cases to one scalar of the same ranges, so dropping
    /// scalars gives exactly what dropping Characters does, without the grapheme breaking that
    /// made `key` a tenth of an import's service CPU.
    static func simpleKey(_ text: String) -> String? {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(text.utf8.count)
        for scalar in text.unicodeScalars {
            var value = scalar.value
            switch value {
            case 0x41...0x5A, 0xFF21...0xFF3A: value += 0x20 // A-Z, Ａ-Ｚ
            case 0x09...0x0D, 0x20, 0x3000: continue // whitespace
            case 0x21...0x7E, 0x3001...0x3029, 0x3030...0x303F, 0x3400...0x4DBF, 0x4E00...0x9FFF, 0xFF01...0xFF5E: break
            default: return nil
            }
            switch value {
            case 0x2C, 0x2E, 0xFF0C, 0x3002, 0x3001, 0x2D, 0xFF0D, 0x28, 0x29, 0xFF08, 0xFF09, 0x23, 0xFF03: continue // `dropped`
            case 0..<0x80:
                bytes.append(UInt8(value))
            default: // three UTF-8 bytes: everything above is in U+0800...U+FFFF
                bytes.append(UInt8(0xE0 | (value >> 12)))
                bytes.append(UInt8(0x80 | ((value >> 6) & 0x3F)))
                bytes.append(UInt8(0x80 | (value & 0x3F)))
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Every number that differs from `digits` by one swap of two neighbouring, different
    /// digits (at most 11 for a mobile), without `digits` itself. By UTF-8 bytes: phone digits
    /// are ASCII (normalised), and this runs once per phone of every registration and import row.
    static func transpositions(of digits: String) -> [String] {
        var bytes = Array(digits.utf8)
        guard bytes.allSatisfy({ $0 < 0x80 }) else { return characterTranspositions(of: digits) }
        var result: [String] = []
        result.reserveCapacity(max(0, bytes.count - 1))
        for index in 0..<max(0, bytes.count - 1) where bytes[index] != bytes[index + 1] {
            bytes.swapAt(index, index + 1)
            let candidate = String(decoding: bytes, as: UTF8.self)
            if !result.contains(candidate) { result.append(candidate) }
            bytes.swapAt(index, index + 1)
        }
        return result
    }

    /// The `transpositions` of a normalised phone that are normalised phones themselves, the
    /// only ones that can be someone's: every stored phone went through `MainlandPhone`. The
    /// import looks each one up in the phone index, ~9 probes a row and a third of PostgreSQL's
    /// time per batch (bench/README.md, session 9); a mobile's first two digits swapped
    /// (`18…` to `81…`) or a second digit below 3 after the swap never is one, so about one
    /// probe in nine is spared and no look-alike is missed.
    static func storableTranspositions(of digits: String) -> [String] {
        transpositions(of: digits).filter(isStorable)
    }

    /// Whether `digits` is a phone as `MainlandPhone` normalises it: the mobile shape by bytes
    /// (`1[3-9]` and nine digits, what its parser accepts), anything starting with 0 by the parser.
    static func isStorable(_ digits: String) -> Bool {
        let bytes = digits.utf8
        guard let first = bytes.first else { return false }
        if first == UInt8(ascii: "1") {
            return bytes.count == 11 && (UInt8(ascii: "3")...UInt8(ascii: "9")).contains(bytes[bytes.index(after: bytes.startIndex)])
                && bytes.allSatisfy { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }
        }
        return first == UInt8(ascii: "0") && MainlandPhone(digits)?.digits == digits
    }

    /// `transpositions` by Character, for text that is not ASCII (never a normalised phone).
    static func characterTranspositions(of digits: String) -> [String] {
        var characters = Array(digits)
        var result: [String] = []
        for index in 0..<max(0, characters.count - 1) where characters[index] != characters[index + 1] {
            characters.swapAt(index, index + 1)
            let candidate = String(characters)
            if !result.contains(candidate) { result.append(candidate) }
            characters.swapAt(index, index + 1)
        }
        return result
    }

    /// As a PostgreSQL text[] literal (digits only, so nothing needs quoting).
    static func arrayLiteral(_ values: [String]) -> String {
        "{" + values.joined(separator: ",") + "}"
    }
}
