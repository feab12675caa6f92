import ServiceKit

/// `xsc mint-actor`: a signed actor for calling one service directly (load tests, debugging).
enum MintActorCommand {
    static func run(_ options: Options, environment: [String: String]) throws(CLIError) -> Int32 {
        var options = options
        try options.parse(valued: ["account", "role", "team", "ttl", "request-id", "audience"], flags: ["plain"])
        guard options.positional.isEmpty else { throw .usage("mint-actor takes no positional arguments") }
        guard let account = options.value("account"), !account.isEmpty else { throw .usage("--account is required") }
        let roleName = options.value("role") ?? "staff"
        guard let role = ActorMint.role(named: roleName) else {
            throw .usage("unknown role \(roleName) (staff, manager, admin, partner, system)")
        }
        guard let secretText = environment["XSC_ACTOR_SECRET"] else {
            throw .usage("XSC_ACTOR_SECRET is not set (the services' shared secret)")
        }
        guard let secret = ActorSecret(secretText) else {
            throw .usage("XSC_ACTOR_SECRET must be at least \(ActorSecret.minimumLength) bytes")
        }
        // The actor is valid only at the service it is for (the MAC binds the audience).
        guard let audience = options.value("audience"), !audience.isEmpty else {
            throw .usage("--audience is required: the service the actor is for (orders, notifications, ...)")
        }
        let ttl = try options.seconds("ttl", default: 3600)
        let cap = ActorVerifier.defaultMaxLifetime.wholeMilliseconds / 1000
        guard ttl <= cap else { throw .usage("--ttl must be at most \(cap) seconds: services refuse longer-lived actors") }
        let metadata = ActorMint.mint(secret: secret, accountID: account, role: role,
                                      teamPath: options.value("team") ?? "/", requestID: options.value("request-id"),
                                      lifetime: .seconds(ttl), audience: audience)
        for line in ActorMint.headerLines(metadata) {
            // Base64 never contains a quote, so single quotes are always safe here.
            print(options.has("plain") ? line : "-H '\(line)'")
        }
        return 0
    }
}
