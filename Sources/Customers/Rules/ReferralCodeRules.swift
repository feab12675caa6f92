import DomainKit

/// Referral codes people can read out, type and share: the format of DomainKit's
/// `ReferralCodeFormat` (6 characters without look-alikes: 887 million codes).
enum ReferralCodeRules {
    static let alphabet = ReferralCodeFormat.alphabet
    static let length = ReferralCodeFormat.length

    static func make<G: RandomNumberGenerator>(using generator: inout G) -> String {
        String((0..<length).map { _ in alphabet[Int.random(in: 0..<alphabet.count, using: &generator)] })
    }

    static func make() -> String {
        var generator = SystemRandomNumberGenerator()
        return make(using: &generator)
    }

    /// The canonical form of a typed code, or nil when it cannot be a code.
    static func normalise(_ raw: String) -> String? {
        ReferralCodeFormat.normalise(raw)
    }
}
