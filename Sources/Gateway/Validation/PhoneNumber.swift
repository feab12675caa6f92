/// Mainland China mobile numbers: 11 digits starting 1[3-9]. Spaces, dashes and a leading
/// +86 / 0086 / 86 are accepted and removed; anything else is refused, so the stored form is
/// always the bare 11 digits.
public enum PhoneNumber {
    public static func normalise(_ raw: String) -> String? {
        var digits = raw.filter { !" -\t()".contains($0) }
        if digits.hasPrefix("+86") { digits.removeFirst(3) }
        else if digits.hasPrefix("0086") { digits.removeFirst(4) }
        else if digits.count == 13 && digits.hasPrefix("86") { digits.removeFirst(2) }
        let bytes = Array(digits.utf8)
        guard bytes.count == 11, bytes.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }),
              bytes[0] == 0x31, bytes[1] >= 0x33 else { return nil }
        return digits
    }
}
