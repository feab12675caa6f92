import DomainKit
import Messages
import RPC

/// A staff account's view of its own sessions: which devices are signed in, and ending one
/// (a lost phone) without ending the others.
extension AuthHandler {
    public func listSessions(_ request: Xsc_Gateway_V1_ListSessionsRequest, context: ServerContext) async throws -> Xsc_Gateway_V1_ListSessionsResponse {
        try await core.door.admit(context)
        let session = try context.requireStaff()
        var response = Xsc_Gateway_V1_ListSessionsResponse()
        response.sessions = try await core.sessions.live(accountID: session.accountID).map { listed in
            var item = Xsc_Gateway_V1_Session()
            item.id = listed.id
            item.createdAtMs = listed.createdAtMs
            item.expiresAtMs = listed.expiresAtMs
            item.current = listed.tokenSHA256 == session.tokenSHA256
            return item
        }
        return response
    }

    public func revokeSession(_ request: Xsc_Gateway_V1_RevokeSessionRequest, context: ServerContext) async throws -> Xsc_Gateway_V1_RevokeSessionResponse {
        try await core.door.admit(context)
        let session = try context.requireStaff()
        var violations = FieldViolations()
        violations.add("session_id", ifProblem: LookupField.problem(request.sessionId, .id))
        try violations.check()
        // Another account's session, an ended one and an unknown id all answer the same.
        guard let ended = try await core.sessions.revoke(accountID: session.accountID, sessionID: request.sessionId) else {
            throw GatewayErrors.notFound("session")
        }
        core.door.cache.forget(tokenHash: ended)
        return Xsc_Gateway_V1_RevokeSessionResponse()
    }
}
