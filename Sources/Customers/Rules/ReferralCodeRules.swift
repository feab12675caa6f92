/// Referral codes people can read out, type and share: 6 characters of an alphabet without
/// the look-alikes 0/O, 1/I/L (31 symbols: 887 million codes), case-insensitive on input.
enum ReferralCodeRules {
    static let alphabet = Array("23456789ABCDEFGHJKMNPQRSTUVWXYZ")
    static let length = 6

    static func make<G: RandomNumberGenerator>(using generator: inout G) -> String {
        String((0..<length).map { _ in alphabet[Int.random(in: 0..<alphabet.count, using: &generator)] })
    }

    static func make() -> String {
        var generator = SystemRandomNumberGenerator()
        return make(using: &generator)
    }

    /// The canonical form of a typed code (upper-cased, spaces and dashes dropped), or nil
    /// when it cannot be a code.
    static func normalise(_ raw: String) -> String? {
        let code = String(raw.uppercased().filter { !$0.isWhitespace && $0 != "-" })
        guard code.count == length, code.allSatisfy({ alphabet.contains($0) }) else { return nil }
        return code
    }
}
