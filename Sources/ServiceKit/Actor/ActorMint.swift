import Messages
import RPC

/// Mints signed actors for tools: the `xsc` CLI and load tests call one service directly,
/// without a gateway, holding the shared secret.
public enum ActorMint {
    /// A signed actor valid for `lifetime` from `now`, with a fresh random request id unless
    /// one is given, for the service named `audience` (a relay passes its message's
    /// destination). Services refuse a lifetime past `ActorVerifier.defaultMaxLifetime`. Inside a
    /// traced call or worker, the metadata carries the current trace (`traceparent`) too.
    public static func mint(secret: ActorSecret, accountID: String, role: VerifiedActor.Role,
                            teamPath: String = "/", requestID: String? = nil, lifetime: Duration = .seconds(3600),
                            audience: String? = nil, now: Int64 = SystemWallClock.now()) -> Metadata {
        var actor = Xsc_Common_V1_ActorContext()
        actor.accountId = accountID
        actor.role = role
        actor.teamPath = teamPath
        actor.requestId = requestID ?? randomRequestID()
        actor.expiresAtMs = now + lifetime.wholeMilliseconds
        var metadata = ActorSigner(secret: secret).sign(actor, audience: audience)
        // A service's own call to a peer continues the trace of the work that makes it.
        metadata.setTrace()
        return metadata
    }

    /// The minted metadata as `name: base64` lines, for `grpcurl -H` or grpcio metadata.
    public static func headerLines(_ metadata: Metadata) -> [String] {
        metadata.entries.map { entry in
            switch entry.value {
            case .binary(let bytes): "\(entry.name): \(Base64Text.encode(bytes))"
            case .text(let text): "\(entry.name): \(text)"
            }
        }
    }

    /// Parses a role name as the CLI spells it ("staff", "ROLE_STAFF", "manager", ...).
    public static func role(named name: String) -> VerifiedActor.Role? {
        var lowered = name.lowercased()
        if lowered.hasPrefix("role_") { lowered.removeFirst(5) }
        switch lowered {
        case "staff": return .staff
        case "manager": return .manager
        case "admin": return .admin
        case "partner": return .partner
        case "system": return .system
        default: return nil
        }
    }

    /// 128 random bits as hex: unguessable and unique enough to trace one request (the
    /// gateway makes one per call; buffered kernel randomness, no system call each).
    public static func randomRequestID() -> String {
        SystemIDs.random128Hex()
    }
}
