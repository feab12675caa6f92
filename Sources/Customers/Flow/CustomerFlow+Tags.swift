import DomainKit
import Messages
import ServiceKit

extension CustomerFlow {
    public func listTags(_ request: Xsc_Customers_V1_ListTagsRequest, actor: VerifiedActor) async throws -> Xsc_Customers_V1_ListTagsResponse {
        var problems = FieldViolations()
        if request.limit < 0 || request.limit > 100 { problems.add("limit", "from 0 (the default, 50) to 100") }
        try problems.check()                                  // INVALID_ARGUMENT, every bad field at once
        guard let member = TeamMember(actor) else { return Xsc_Customers_V1_ListTagsResponse() }  // no team: nothing
        var response = Xsc_Customers_V1_ListTagsResponse()
        response.tags = try await queries.tagCounts(team: member.teamPath, limit: Int(request.limit == 0 ? 50 : request.limit),
                                                    pool: pool)
            .map { row in
                var tag = Xsc_Customers_V1_TagCount()
                tag.tag = row.tag
                tag.customers = row.customers
                return tag
            }
        return response
    }
}
