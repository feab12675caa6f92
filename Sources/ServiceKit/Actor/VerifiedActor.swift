import Messages
import RPC

/// The caller's identity after the actor verifier checked its signature and expiry. Handlers
/// take identity only from here, never from request fields.
public struct VerifiedActor: Sendable, Equatable {
    public typealias Role = Xsc_Common_V1_ActorContext.Role

    public let accountID: String
    public let role: Role
    /// Slash-separated team path, e.g. "/east/shanghai/team-3".
    public let teamPath: String
    public let requestID: String
    public let expiresAtMs: Int64
    /// The DOMAIN.md role ("office_order_lead", "dealer", ...); empty for partners and the system.
    public let domainRole: String
    /// The order channel a partner caller's key is scoped to; empty otherwise.
    public let partnerChannel: String

    init(_ context: Xsc_Common_V1_ActorContext) {
        accountID = context.accountId
        role = context.role
        teamPath = context.teamPath
        requestID = context.requestId
        expiresAtMs = context.expiresAtMs
        domainRole = context.domainRole
        partnerChannel = context.partnerChannel
    }
}

/// The `ServerContext` slot the verifier fills.
public enum VerifiedActorKey: ServerContextKey {
    public typealias Value = VerifiedActor
}

extension ServerContext {
    /// The verified caller; nil on exempt methods (health, reflection) and before verification.
    public var verifiedActor: VerifiedActor? { self[VerifiedActorKey.self] }

    /// The verified caller, or UNAUTHENTICATED for handlers that need one.
    public func requireActor() throws(RPCError) -> VerifiedActor {
        guard let actor = verifiedActor else {
            throw RPCError(code: .unauthenticated, message: "this method needs a signed actor context")
        }
        return actor
    }
}
