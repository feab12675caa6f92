import DomainKit
import Messages
import RPC

/// The order lead's choice of whom to forward an order to: district order leads and dealers at
/// or below the caller's own node (an office lead: the office's districts; a district lead: its
/// district; the region's customer service and manager: the region). Names and roles only, no
/// phones. Orders decides whether an assignment is allowed (the district's routing).
extension AccountHandler {
    static let assigneeLimit = 500

    public func listAssignees(_ request: Xsc_Gateway_V1_ListAssigneesRequest, context: ServerContext) async throws -> Xsc_Gateway_V1_ListAssigneesResponse {
        try await core.door.admit(context)
        return try await listAssignees(request, caller: context.requireCaller())
    }

    func listAssignees(_ request: Xsc_Gateway_V1_ListAssigneesRequest, caller: Caller) async throws -> Xsc_Gateway_V1_ListAssigneesResponse {
        guard case .staff(let session) = caller else { throw GatewayErrors.notFound("method") }
        var violations = FieldViolations()
        if !request.districtId.isEmpty && !OrgPath.isValidSlug(request.districtId) {
            violations.add("district_id", "must be a district's id like cq-o1-d3")
        }
        try violations.check()
        var response = Xsc_Gateway_V1_ListAssigneesResponse()
        response.assignees = try await core.accounts.assignees(under: session.nodePath, district: request.districtId,
                                                               limit: Self.assigneeLimit)
        return response
    }
}
