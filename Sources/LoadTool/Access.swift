import Messages
import RPC
import ServiceAPI
import ServiceKit

/// How the load reaches the service: directly, each persona an actor minted with the services'
/// shared secret for that service alone (only PostgreSQL and the service need to run), or
/// through the gateway, each persona one logged-in session (or API key) given on the command
/// line, in the order the scenario names its personas.
struct Access: Sendable {
    enum Via: String, Sendable {
        case direct, gateway
    }

    struct Refused: Error, CustomStringConvertible {
        let message: String
        var description: String { message }
    }

    let via: Via
    /// The service the minted actors are for (their audience).
    let service: String
    let secret: ActorSecret?
    /// Gateway: "authorization: Bearer ..." per login, in command-line order.
    let logins: [Metadata]

    /// Minted actors live this long; services refuse more than an hour.
    static let actorLifetime: Duration = .seconds(3540)

    /// The call metadata of a persona: minted when direct, the `login`-th session through the
    /// gateway. `gatewayRole` says in an error what that session must be.
    func metadata(for persona: Persona, login index: Int, gatewayRole: String) throws -> Metadata {
        switch via {
        case .direct:
            guard let secret else { throw Refused(message: "direct calls need XSC_ACTOR_SECRET (the services' shared secret)") }
            var actor = Xsc_Common_V1_ActorContext()
            actor.accountId = persona.accountID
            actor.role = persona.role
            actor.teamPath = persona.teamPath
            actor.domainRole = persona.domainRole
            actor.partnerChannel = persona.partnerChannel
            actor.requestId = ActorMint.randomRequestID()
            actor.expiresAtMs = SystemWallClock.now() + Self.actorLifetime.wholeMilliseconds
            return ActorSigner(secret: secret).sign(actor, audience: service)
        case .gateway:
            guard index < logins.count else {
                throw Refused(message: "through the gateway this scenario needs login number \(index + 1): \(gatewayRole) "
                              + "(give --login PHONE:PASSWORD or --token TOKEN once per person, in that order)")
            }
            return logins[index]
        }
    }

    /// Refuses a scenario whose RPCs only machines may call (a system actor cannot log in).
    func requireDirect(_ why: String) throws {
        if via == .gateway { throw Refused(message: "this scenario runs only directly (--via direct): \(why)") }
    }

    /// Logs in through the gateway (AuthService/Login): the session's metadata.
    static func login(channel: RPCChannel, phone: String, password: String) async throws -> Metadata {
        var request = Xsc_Gateway_V1_LoginRequest()
        request.phone = phone
        request.password = password
        let answer = try await Xsc_Gateway_V1_AuthServiceClient(channel: channel)
            .login(request, options: CallOptions(timeout: .seconds(30), waitForReady: true))
        return bearer(answer.sessionToken)
    }

    static func bearer(_ token: String) -> Metadata {
        var metadata = Metadata()
        metadata.add("authorization", "Bearer " + token)
        return metadata
    }

    /// The account id behind a gateway session (WhoAmI), for requests that name the caller.
    static func accountID(channel: RPCChannel, session: Metadata) async throws -> String {
        let answer = try await Xsc_Gateway_V1_AuthServiceClient(channel: channel)
            .whoAmI(Xsc_Gateway_V1_WhoAmIRequest(), options: CallOptions(metadata: session, timeout: .seconds(30)))
        return answer.account?.id ?? ""
    }
}

/// Who a minted actor is: what the gateway would assert for a person of that kind.
struct Persona: Sendable {
    var accountID: String
    var role: VerifiedActor.Role
    var domainRole = ""
    var teamPath = "/"
    var partnerChannel = ""

    static func system(_ name: String) -> Persona {
        Persona(accountID: "svc-\(name)", role: .system)
    }
}
