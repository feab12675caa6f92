import DomainKit
import Messages
import Postgres
import RPC
import ServiceKit

/// Permanent binding (永久绑定) by hand, the reward answer for settlements, referral codes.
extension CustomerFlow {
    /// Binds a team customer to an intermediary (by its referral code or account id). The
    /// first binding is permanent: binding again to the same one is a no-op, to another refused.
    public func bind(_ request: Xsc_Customers_V1_BindIntermediaryRequest, actor: VerifiedActor) async throws -> Xsc_Customers_V1_CustomerResponse {
        let member = try TeamMember.reader(actor, "customer", request.customerId)
        let code = request.referralCode.trimmedForPeople
        let account = request.intermediaryAccountId.trimmedForPeople
        var problems = FieldViolations()
        if code.isEmpty == account.isEmpty {
            problems.add("referral_code", "give exactly one: the intermediary's referral code, or its account id")
        } else if !code.isEmpty, ReferralCodeRules.normalise(code) == nil {
            problems.add("referral_code", "not a referral code (6 letters and digits, e.g. K7M2QX): \(code.prefix(32))")
        } else if !account.isEmpty, let problem = PeopleText.problem(with: account, maxLength: 64) {
            problems.add("intermediary_account_id", problem)
        }
        try problems.check()
        var byAccount: String?
        if !account.isEmpty {
            let entry = try await directory.members([account]).first
            guard let entry, entry.enabled, entry.role == .intermediary || entry.role == .allianceLead else {
                throw FieldViolations.error("intermediary_account_id", "not an active intermediary's account: \(account)")
            }
            byAccount = entry.id
        }
        return try await pool.transaction { tx in
            let customer = try await teamCustomer(request.customerId, for: member, forUpdate: true, in: tx)
            let intermediary: String
            if let byAccount {
                intermediary = byAccount
            } else {
                let normalised = ReferralCodeRules.normalise(code) ?? code
                guard let found = try await referrals.account(ofCode: normalised, in: tx) else {
                    throw FieldViolations.error("referral_code", "no intermediary has the code \(normalised): check it with the intermediary")
                }
                intermediary = found
            }
            let (bound, changed) = try await store.bindIfUnbound(customer.id, intermediary: intermediary, source: "manual",
                                                                 orderID: "", at: clock(), in: tx)
            if !changed && bound.boundIntermediary != intermediary {
                throw DomainErrors.refused(.failedPrecondition,
                                           "this customer is bound for good to the intermediary who referred it first (永久绑定); the binding cannot change",
                                           reason: CustomerErrors.Reason.alreadyBound)
            }
            var response = Xsc_Customers_V1_CustomerResponse()
            response.customer = bound.message
            return response
        }
    }

    /// Who is rewarded for the customer with this phone: its bound intermediary, or the first
    /// referrer of a phone that has no customer yet. XSC services (settlements) and HQ only:
    /// it names no customer, but a phone-to-intermediary oracle is not for every account.
    public func rewardee(_ request: Xsc_Customers_V1_GetRewardeeRequest, actor: VerifiedActor) async throws -> Xsc_Customers_V1_GetRewardeeResponse {
        guard actor.role == .system || actor.domainRole == "hq_admin" else { throw CustomerErrors.systemOnly("GetRewardee") }
        guard let phone = MainlandPhone(request.customerPhone) else {
            throw FieldViolations.error("customer_phone", MainlandPhone.problem(with: request.customerPhone) ?? "not a mainland phone number")
        }
        var response = Xsc_Customers_V1_GetRewardeeResponse()
        let bound = try await pool.transaction { tx in try await store.holders(of: [phone.digits], in: tx).first }
        if let bound, !bound.boundIntermediary.isEmpty {
            response.intermediaryAccountId = bound.boundIntermediary
            response.boundAtMs = bound.boundAtMillis
            response.source = bound.boundSource
        } else if bound == nil, let referral = try await referrals.unclaimed(phone: phone.digits, pool: pool) {
            response.intermediaryAccountId = referral.intermediary
            response.boundAtMs = referral.atMillis
            response.source = "order"
        }
        return response
    }

    /// The caller's own referral code, made on first use (an intermediary or alliance lead).
    public func myReferralCode(actor: VerifiedActor) async throws -> Xsc_Customers_V1_ReferralCode {
        guard ["intermediary", "alliance_lead"].contains(actor.domainRole) else {
            throw DomainErrors.refused(.permissionDenied, "referral codes belong to intermediaries and alliance leads",
                                       reason: CustomerErrors.Reason.notIntermediary)
        }
        var code = try await referrals.code(of: actor.accountID, pool: pool)
        var attempts = 0
        while code == nil {
            attempts += 1
            do {
                code = try await referrals.issue(ReferralCodeRules.make(), to: actor.accountID, at: clock(), pool: pool)
            } catch let error as PostgresError where error.isUniqueViolation && error.constraint == ReferralStore.codeConstraint && attempts < 8 {
                continue // another account drew the same code: draw again
            }
        }
        var answer = Xsc_Customers_V1_ReferralCode()
        answer.code = code!
        answer.accountId = actor.accountID
        return answer
    }

    public func resolveReferralCode(_ request: Xsc_Customers_V1_ResolveReferralCodeRequest, actor: VerifiedActor) async throws -> Xsc_Customers_V1_ReferralCode {
        guard actor.role != .partner else {
            throw DomainErrors.refused(.permissionDenied, "referral codes are resolved by staff and XSC services", reason: CustomerErrors.Reason.notTeamMember)
        }
        guard let code = ReferralCodeRules.normalise(request.code) else {
            throw FieldViolations.error("code", "not a referral code (6 letters and digits, e.g. K7M2QX): \(request.code.prefix(32))")
        }
        guard let account = try await referrals.account(ofCode: code, pool: pool) else { throw CustomerErrors.notFound("referral code", code) }
        var answer = Xsc_Customers_V1_ReferralCode()
        answer.code = code
        answer.accountId = account
        return answer
    }
}
