import DomainKit
import Messages
import RPC
import ServiceKit

/// Reads: one customer, the team's list, and the aggregated counts ancestors may see.
extension CustomerFlow {
    public func get(customerID: String, actor: VerifiedActor) async throws -> Xsc_Customers_V1_CustomerResponse {
        let member = try TeamMember.reader(actor, "customer", customerID)
        guard let record = try await store.load(customerID, pool: pool), record.teamPath == member.teamPath else {
            throw CustomerErrors.notFound("customer", customerID)
        }
        var response = Xsc_Customers_V1_CustomerResponse()
        response.customer = record.message
        return response
    }

    /// The caller's own team only; an account without a customer area (an ancestor) finds nothing,
    /// after the same checks of its filters (a bad filter is the caller's to fix, whoever calls).
    public func search(_ request: Xsc_Customers_V1_SearchCustomersRequest, actor: VerifiedActor) async throws -> Xsc_Customers_V1_SearchCustomersResponse {
        var problems = FieldViolations()
        var filter = CustomerQueries.Filter()
        let phone = request.phone.trimmedForPeople
        if !phone.isEmpty {
            if let full = MainlandPhone(phone) {
                filter.phonePrefix = full.digits
            } else {
                // Full-width digits (typed with a Chinese input method) count as digits.
                let halfWidth = String(String.UnicodeScalarView(phone.unicodeScalars.map {
                    (0xFF10...0xFF19).contains($0.value) ? Unicode.Scalar($0.value - 0xFF10 + 0x30)! : $0
                }))
                let digits = String(halfWidth.filter { $0.isASCII && $0.isNumber })
                let allowed = halfWidth.allSatisfy { ($0.isASCII && $0.isNumber) || $0 == " " || $0 == "-" }
                if !allowed || digits.count < 3 || digits.count > 12 {
                    problems.add("phone", "search by 3 to 12 digits of a phone number (the start of it), or a whole number: \(phone.prefix(32))")
                }
                filter.phonePrefix = digits
            }
        }
        filter.name = request.name.trimmedForPeople
        problems.add("name", ifProblem: PeopleText.problem(with: filter.name, required: false, maxLength: CustomerValidation.maxName))
        filter.tag = request.tag.trimmedForPeople
        problems.add("tag", ifProblem: PeopleText.problem(with: filter.tag, required: false, maxLength: CustomerValidation.maxTag))
        if case .unrecognized(let value) = request.grade { problems.add("grade", "unknown grade \(value): use A, B or C") }
        filter.grade = request.grade.rawValue
        filter.owner = request.ownerAccountId.trimmedForPeople
        problems.add("owner_account_id", ifProblem: PeopleText.problem(with: filter.owner, required: false, maxLength: 64))
        if request.followUpDueBeforeMs < 0 { problems.add("follow_up_due_before_ms", "a moment in Unix milliseconds, or 0 for no filter") }
        if request.followUpDueBeforeMs > 0 { filter.followUpDueBefore = request.followUpDueBeforeMs }
        let cursor: PageCursor?
        do { cursor = try PageCursor.parse(request.page?.cursor) } catch { problems.add("page.cursor", "not a cursor this service returned: start again with an empty cursor"); cursor = nil }
        try problems.check()
        guard let member = TeamMember(actor) else { return Xsc_Customers_V1_SearchCustomersResponse() }

        let size = PageCursor.size(request.page?.pageSize ?? 0)
        let records = try await queries.search(team: member.teamPath, filter: filter, after: cursor, limit: size + 1, pool: pool)
        var response = Xsc_Customers_V1_SearchCustomersResponse()
        response.customers = records.prefix(size).map(\.message)
        var info = Xsc_Common_V1_PageInfo()
        if records.count > size, let last = records.prefix(size).last { info.nextCursor = PageCursor(millis: last.createdAtMillis, id: last.id).text }
        response.pageInfo = info
        return response
    }

    /// Counts per team at or under the caller's node: a team member sees its own team's row,
    /// an office lead every team of the office, HQ all. No names, phones or ids of customers.
    public func count(actor: VerifiedActor) async throws -> Xsc_Customers_V1_CountCustomersResponse {
        guard actor.role == .staff || actor.role == .manager || actor.role == .admin, actor.teamPath.hasPrefix("/") else {
            throw DomainErrors.refused(.permissionDenied, "customer counts are for the organisation's staff",
                                       reason: CustomerErrors.Reason.notTeamMember)
        }
        var response = Xsc_Customers_V1_CountCustomersResponse()
        response.teams = try await queries.counts(under: actor.teamPath, pool: pool).map { count in
            var team = Xsc_Customers_V1_TeamCount()
            team.teamPath = count.teamPath
            team.customers = count.customers
            team.gradeA = count.gradeA
            team.gradeB = count.gradeB
            team.gradeC = count.gradeC
            team.bound = count.bound
            team.followUps = count.followUps
            return team
        }
        return response
    }
}
