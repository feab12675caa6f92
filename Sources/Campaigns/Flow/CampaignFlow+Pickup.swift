import DomainKit
import Messages
import Postgres
import RPC
import ServiceKit

/// Pickup (核销): the point's dealer or one of its verification officers types the
/// participant's code. The right code marks the participation collected and tells orders
/// (RecordCampaignPickup through the outbox), which closes the order as a return visit does;
/// that is what accrues the leader's commission in settlements, so only collected orders
/// earn it. A wrong code and a code already used are refused, each with its own reason.
extension CampaignFlow {
    public func verifyPickup(_ request: Xsc_Campaigns_V1_VerifyPickupRequest, actor: VerifiedActor) async throws -> Xsc_Campaigns_V1_Participation {
        var problems = FieldViolations()
        let code = request.pickupCode.trimmedForPeople
        if code.count != Codes.pickupLength || !code.allSatisfy(\.isASCIIDigit) {
            problems.add("pickup_code", "the \(Codes.pickupLength)-digit code the participant shows")
        }
        if request.pickupPointId.isEmpty { problems.add("pickup_point_id", "required") }
        try problems.check()
        return try await pool.transaction { tx in
            let (campaign, _, access) = try await visible(request.campaignId, actor: actor, in: tx)
            guard case .pointStaff(let served) = access, served.contains(request.pickupPointId) else {
                throw DomainErrors.refused(.permissionDenied, "only the pickup point's dealer or its verification officers check pickup codes",
                                           reason: CampaignErrorReason.notAllowed)
            }
            guard let participation = try await participations.lockByCode(campaign: campaign.id, code: code, in: tx),
                  participation.pickupPointID == request.pickupPointId else {
                throw DomainErrors.refused(.notFound, "no order of this campaign with that pickup code at this point: check the code",
                                           reason: CampaignErrorReason.pickupCodeUnknown)
            }
            switch participation.state {
            case "ordered":
                let now = clock()
                try await participations.markCollected(id: participation.id, by: actor.accountID, at: now, in: tx)
                _ = try await tx.run([messages.pickup(participation, by: actor.accountID, at: now)])
                guard let collected = try await participations.participation(id: participation.id, in: tx) else {
                    throw RPCError(code: .internalError, message: "the participation vanished")
                }
                return collected.message(full: false)
            case "collected":
                throw DomainErrors.refused(.failedPrecondition, "this pickup code was already used: the goods were collected",
                                           reason: CampaignErrorReason.pickupCodeUsed)
            case "cancelled":
                throw DomainErrors.refused(.failedPrecondition, "this order was cancelled with its campaign",
                                           reason: CampaignErrorReason.participationCancelled)
            default:
                throw DomainErrors.refused(.failedPrecondition, "the campaign has not succeeded yet: nothing to collect",
                                           reason: CampaignErrorReason.notSucceeded)
            }
        }
    }
}

extension Character {
    var isASCIIDigit: Bool { ("0"..."9").contains(self) }
}
