/// Counts SMS segments the way carriers bill them (3GPP TS 23.038 / 23.040):
///
/// - a text made only of GSM-7 characters is sent 7-bit: 160 septets in one message, 153 per
///   part when concatenated (the user data header takes 7); characters of the extension table
///   (`^{}\[~]|€` and form feed) take two septets (escape + char), and a part never splits the
///   pair;
/// - anything else is sent UCS-2: 70 UTF-16 units in one message, 67 per part; characters
///   outside the BMP (most emoji) take two units, and a part never splits a surrogate pair.
///
/// Chinese text is always UCS-2, so the DOMAIN.md figures (70, 67 per part) apply to it.
public enum SegmentCounter {
    public enum Encoding: String, Sendable, Equatable {
        case gsm7, ucs2
    }

    public struct Count: Sendable, Equatable {
        public var encoding: Encoding
        /// Septets (GSM-7) or UTF-16 units (UCS-2) of the whole text.
        public var units: Int
        public var segments: Int
    }

    public static func count(_ text: String) -> Count {
        if let septets = gsm7Septets(text) {
            return Count(encoding: .gsm7, units: septets.reduce(0, +),
                         segments: parts(septets, single: 160, perPart: 153))
        }
        let units = ucs2Units(text)
        return Count(encoding: .ucs2, units: units.reduce(0, +), segments: parts(units, single: 70, perPart: 67))
    }

    public static func segments(_ text: String) -> Int { count(text).segments }

    /// The septets of each character, or nil when some character is not in GSM-7.
    static func gsm7Septets(_ text: String) -> [Int]? {
        var sizes: [Int] = []
        for scalar in text.unicodeScalars {
            if gsmBasic.contains(scalar) {
                sizes.append(1)
            } else if gsmExtension.contains(scalar) {
                sizes.append(2)
            } else {
                return nil
            }
        }
        return sizes
    }

    /// UTF-16 units of each Unicode scalar (1 in the BMP, 2 for a surrogate pair).
    static func ucs2Units(_ text: String) -> [Int] {
        text.unicodeScalars.map { $0.value > 0xFFFF ? 2 : 1 }
    }

    /// Packs the indivisible characters greedily into parts of `perPart` once the whole text
    /// exceeds `single`. An empty text still costs one message.
    static func parts(_ sizes: [Int], single: Int, perPart: Int) -> Int {
        let total = sizes.reduce(0, +)
        if total <= single { return 1 }
        var parts = 1
        var used = 0
        for size in sizes {
            if used + size > perPart {
                parts += 1
                used = 0
            }
            used += size
        }
        return parts
    }

    /// The GSM 03.38 default alphabet.
    static let gsmBasic: Set<Unicode.Scalar> = {
        let characters = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
            + "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
        return Set(characters.unicodeScalars)
    }()

    /// The GSM 03.38 extension table (each sent as ESC + character).
    static let gsmExtension: Set<Unicode.Scalar> = Set("^{}\\[~]|€\u{0C}".unicodeScalars)
}
