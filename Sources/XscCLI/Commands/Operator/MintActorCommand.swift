import ArgumentParser
import ServiceKit

/// `xsc mint-actor`: a signed actor for calling one service directly (load tests, debugging).
struct MintActorCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mint-actor",
        abstract: "Print a signed actor context for calling one service directly (operators).",
        discussion: """
        Prints a signed actor context (XSC_ACTOR_SECRET from the environment) as grpcurl -H \
        arguments, to call one service directly without the gateway. The actor is valid only at \
        SERVICE (orders, notifications, ...) and for at most 3600 s. --plain prints \
        `name: base64` lines instead (grpcio metadata, scripts).
        e.g. eval grpcurl -plaintext $(xsc mint-actor --audience orders --account demo) 127.0.0.1:7101 list
        """)

    @Option(help: "The service the actor is for (orders, notifications, ...).") var audience: String?
    @Option(help: "The account id the actor speaks for.") var account: String?
    @Option(help: "staff, manager, admin, partner or system.") var role = "staff"
    @Option(help: "The actor's team path.") var team = "/"
    @Option(help: "Lifetime in seconds (at most 3600).") var ttl: Int?
    @Option(name: .customLong("request-id"), help: "The request id to carry.") var requestID: String?
    @Flag(help: "Print `name: base64` lines instead of grpcurl -H arguments.") var plain = false

    func run() throws {
        let environment = ProcessEnvironment.current()
        // The order of these checks is what scripts have seen since the first version.
        guard let account = self.account, !account.isEmpty else { throw CLIError.usage("--account is required") }
        guard let role = ActorMint.role(named: self.role) else {
            throw CLIError.usage("unknown role \(self.role) (staff, manager, admin, partner, system)")
        }
        guard let secretText = environment["XSC_ACTOR_SECRET"] else {
            throw CLIError.usage("XSC_ACTOR_SECRET is not set (the services' shared secret)")
        }
        guard let secret = ActorSecret(secretText) else {
            throw CLIError.usage("XSC_ACTOR_SECRET must be at least \(ActorSecret.minimumLength) bytes")
        }
        // The actor is valid only at the service it is for (the MAC binds the audience).
        guard let audience = self.audience, !audience.isEmpty else {
            throw CLIError.usage("--audience is required: the service the actor is for (orders, notifications, ...)")
        }
        let seconds = try positiveSeconds(ttl, option: "--ttl", default: 3600)
        let cap = ActorVerifier.defaultMaxLifetime.wholeMilliseconds / 1000
        guard seconds <= cap else { throw CLIError.usage("--ttl must be at most \(cap) seconds: services refuse longer-lived actors") }
        let metadata = ActorMint.mint(secret: secret, accountID: account, role: role, teamPath: team, requestID: requestID,
                                      lifetime: .seconds(seconds), audience: audience)
        for line in ActorMint.headerLines(metadata) {
            // Base64 never contains a quote, so single quotes are always safe here.
            print(plain ? line : "-H '\(line)'")
        }
    }
}

/// A positive number of seconds from an option, or the default.
func positiveSeconds(_ value: Int?, option: String, default fallback: Int) throws(CLIError) -> Int {
    guard let value else { return fallback }
    guard value > 0 else { throw .usage("\(option) must be a positive number of seconds") }
    return value
}
