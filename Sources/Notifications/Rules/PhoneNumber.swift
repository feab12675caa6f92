/// A mainland-China mobile number in its canonical form: 11 digits, `1[3-9]xxxxxxxxx`.
/// Accepts the usual ways people write one (`+86 138-1234-5678`, `86 13812345678`, spaces).
public struct PhoneNumber: Sendable, Hashable, CustomStringConvertible {
    public let digits: String

    public init?(_ raw: String) {
        var text = raw.filter { $0 != " " && $0 != "-" }
        if text.hasPrefix("+86") {
            text.removeFirst(3)
        } else if text.hasPrefix("86") && text.count == 13 {
            text.removeFirst(2)
        }
        guard text.count == 11, text.allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
        let scalars = Array(text.unicodeScalars)
        guard scalars[0] == "1", ("3"..."9").contains(scalars[1]) else { return nil }
        digits = text
    }

    /// `138****5678`: the only form that may appear in logs and answers.
    public var masked: String {
        String(digits.prefix(3)) + "****" + String(digits.suffix(4))
    }

    /// Masked, so that interpolating a number into a log line cannot leak it.
    public var description: String { masked }
}
