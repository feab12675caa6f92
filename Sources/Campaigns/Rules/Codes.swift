/// The two short codes of a campaign. Both come from a caller-supplied random source (tests
/// pass a seeded one).
enum Codes {
    /// Share codes avoid look-alikes (0/O, 1/I/L) so people can read them out and type them.
    static let shareAlphabet = Array("23456789ABCDEFGHJKMNPQRSTUVWXYZ")
    static let shareLength = 8

    static func shareCode(using random: inout some RandomNumberGenerator) -> String {
        String((0..<shareLength).map { _ in shareAlphabet.randomElement(using: &random)! })
    }

    /// Eight digits: shown at the pickup point, typed by the dealer. Unique within a campaign
    /// (a collision is drawn again, CampaignFlow+Join); checked only by the point's dealer or
    /// verification officers, so guessing needs an insider account.
    static let pickupLength = 8

    static func pickupCode(using random: inout some RandomNumberGenerator) -> String {
        String((0..<pickupLength).map { _ in "0123456789".randomElement(using: &random)! })
    }
}
