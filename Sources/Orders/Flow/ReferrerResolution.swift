import DomainKit
import RPC

/// The referrer an order carries (DOMAIN.md: alliance orders carry a referrer code). People
/// share an intermediary's short code (customers' `GetMyReferralCode`, e.g. K7M2QX); a partner
/// or a staff tool may give the account id itself (the alliance lead's account). Intake turns a
/// short code into its account id before anything is stored, so the order, its viewer rule
/// (the referrer sees its referrals), customers' binding and settlements' accrual all see the
/// intermediary's account. An unknown code is INVALID_ARGUMENT; a code that cannot be checked
/// now (customers down) is UNAVAILABLE, and the partner resubmits (idempotent on external id).
extension OrderFlow {
    func resolvingReferrer(_ valid: ValidSubmission) async throws -> ValidSubmission {
        guard let code = ReferralCodeFormat.normalise(valid.referrerCode) else { return valid }
        guard let accountID = try await referralCodes.accountID(ofCode: code) else {
            throw FieldViolations.error("referrer_code", "unknown referral code \(code): ask the intermediary for the code "
                                        + "shown in their XSC account (6 letters and digits)")
        }
        var resolved = valid
        resolved.referrerCode = accountID
        return resolved
    }
}
