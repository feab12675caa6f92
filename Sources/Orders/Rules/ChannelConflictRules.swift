import DomainKit
import Messages
import ServiceKit

/// The channel-conflict guard's rules (DOMAIN.md "Channel conflicts", seed 003 section 8): the
/// default window, who reviews a flag, and what a review must say.
enum ChannelConflictRules {
    /// Orders of one customer and SKU through two channels this close together are flagged,
    /// unless the region sets its own window (RegionSettings.channel_conflict_window_hours).
    static let defaultWindowHours = 168
    static let maxWindowHours = 8_760

    /// A reviewer of flags: HQ for every region, the regional manager for its own region
    /// (seed 003 8.1: general and serious faults are settled between e-commerce and sales).
    /// Nil when the actor reviews nothing; "" means every region.
    static func reviewedRegion(of actor: VerifiedActor) -> String? {
        if actor.role == .admin { return "" }
        guard actor.isRegionalManager, let region = actor.regionCode else { return nil }
        return region
    }

    /// Seed 003 8.2: a severe violation is decided by the general manager's office (HQ).
    static func mayClass(_ conflictClass: Xsc_Orders_V1_ConflictClass, actor: VerifiedActor) -> Bool {
        conflictClass != .severe || actor.role == .admin
    }

    /// Every problem of a review at once.
    static func check(_ request: Xsc_Orders_V1_ClassChannelConflictRequest) throws -> String {
        var problems = FieldViolations()
        let detail = request.detail.trimmedForPeople
        if request.conflictId.isEmpty || request.conflictId.count > 64 { problems.add("conflict_id", "required: a flag's id") }
        if request.dismiss {
            if request.class != .unspecified { problems.add("class", "leave it empty when dismissing") }
            if !request.personAccountId.isEmpty { problems.add("person_account_id", "leave it empty when dismissing") }
        } else {
            if ![.general, .serious, .severe].contains(request.class) { problems.add("class", "general, serious or severe (or dismiss)") }
            if request.personAccountId.isEmpty || request.personAccountId.count > 64 {
                problems.add("person_account_id", "required: the account of the person who poached the order")
            }
        }
        problems.add("detail", ifProblem: PeopleText.problem(with: detail, maxLength: 500))
        try problems.check()
        return detail
    }
}
