import DomainKit
import Messages
import RPC
import ServiceKit

/// Editing a customer: its owner or the team admin; a phone added that is someone else's is
/// refused exactly like a registration of it.
extension CustomerFlow {
    public func update(_ request: Xsc_Customers_V1_UpdateCustomerRequest, actor: VerifiedActor) async throws -> Xsc_Customers_V1_CustomerResponse {
        let member = try TeamMember.reader(actor, "customer", request.customerId)
        let valid = try CustomerValidation.validate(request.customer)
        let outcome: Registration
        do {
            outcome = try await pool.transaction { tx -> Registration in
                let record = try await teamCustomer(request.customerId, for: member, forUpdate: true, in: tx)
                guard record.ownerAccountID == member.accountID || member.isTeamAdmin else {
                    throw DomainErrors.refused(.permissionDenied, "only the customer's owner or the team admin may change it",
                                               reason: CustomerErrors.Reason.notOwner)
                }
                if request.expectedVersion != 0 && request.expectedVersion != record.version {
                    throw DomainErrors.refused(.failedPrecondition,
                                               "the customer was changed meanwhile (version \(record.version), you edited \(request.expectedVersion)): reload it and apply your change again",
                                               reason: CustomerErrors.Reason.versionConflict)
                }
                let others = try await store.holders(of: valid.phones.map(\.digits), forUpdate: true, in: tx).filter { $0.id != record.id }
                if !others.isEmpty, others.allSatisfy({ $0.ownerAccountID == member.accountID }) {
                    throw DomainErrors.refused(.alreadyExists, "that phone is on another customer of yours (\(others.map(\.id).joined(separator: ", "))): merge the two instead",
                                               reason: CustomerErrors.Reason.alreadyYours)
                }
                if !others.isEmpty {
                    return try await resolveTaken(valid, holders: others, member: member, in: tx).refusalOnly
                }
                // A new phone may have a referral waiting for it (permanent binding, if still unbound).
                let updated = try await adoptReferral(try await store.update(record.id, with: valid, at: clock(), in: tx), in: tx)
                var response = Xsc_Customers_V1_CustomerResponse()
                response.nearDuplicateIds = try await flagNearDuplicates(of: updated, in: tx)
                response.customer = updated.message
                return .answered(response)
            }
        } catch where CustomerStore.isPhoneTaken(error) {
            throw CustomerErrors.alreadyOwned
        }
        switch outcome {
        case .answered(let response): return response
        case .refused(let error): throw error
        }
    }
}

extension CustomerFlow.Registration {
    /// For an update, another customer holding a phone is always a refusal (never "existing").
    var refusalOnly: CustomerFlow.Registration {
        if case .answered = self { return .refused(CustomerErrors.alreadyOwned) }
        return self
    }
}
