/// Who is paid for a visited order (DOMAIN.md "Settlements"): the referrer the order carries
/// (an intermediary, or for the website-alliance channel the alliance lead, whose account is
/// the order's referrer code), else the intermediary the customer is permanently bound to
/// (the customers service's answer), else nobody.
enum Beneficiary {
    /// The referrer when the order names one; nil means "ask for the binding".
    static func fromOrder(referrerAccountID: String) -> String? {
        referrerAccountID.isEmpty ? nil : referrerAccountID
    }

    static func fromBinding(_ binding: CustomerBinding) -> String? {
        if case .bound(let account) = binding, !account.isEmpty { return account }
        return nil
    }
}
