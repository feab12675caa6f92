/// The shape of an intermediary's short referral code (DOMAIN.md "Customers": the customer is
/// bound to the intermediary that referred it): 6 characters of an alphabet without the
/// look-alikes 0/O, 1/I/L (31 symbols), case-insensitive, spaces and dashes ignored. Customers
/// issues and resolves the codes; orders recognises one at intake (an alliance order's referrer
/// may be such a code or an account id), so the format is written once, here.
public enum ReferralCodeFormat {
    public static let alphabet = Array("23456789ABCDEFGHJKMNPQRSTUVWXYZ")
    public static let length = 6

    /// The canonical form of a typed code (upper-cased, spaces and dashes dropped), or nil
    /// when it cannot be a code (an account id, a UUID, junk).
    public static func normalise(_ raw: String) -> String? {
        let code = String(raw.uppercased().filter { !$0.isWhitespace && $0 != "-" })
        guard code.count == length, code.allSatisfy({ alphabet.contains($0) }) else { return nil }
        return code
    }
}
