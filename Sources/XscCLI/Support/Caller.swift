import ArgumentParser
import Foundation
import RPC
import ServiceKit

/// The options every command for people takes.
struct PeopleOptions: ParsableArguments {
    @Option(help: ArgumentHelp("The gateway, HOST:PORT.",
                               discussion: "Default: XSC_GATEWAY, else the gateway you logged in to, else 127.0.0.1:7100."))
    var gateway: String?

    @Flag(help: "Print JSON with stable keys (proto field names, amounts in fen, times in Unix ms) instead of a table.")
    var json = false
}

/// A logged-in person's way to the system: the gateway only, with the session's own rights
/// (the gateway signs the person's actor; the CLI never mints one for these commands).
struct Caller {
    let session: SavedSession
    let address: String
    let channel: RPCChannel
    let json: Bool
    let time: TimeText
    let environment: [String: String]

    static let defaultGateway = "127.0.0.1:7100"

    /// The gateway an option, the environment or the saved session names, in that order.
    static func gatewayAddress(option: String?, environment: [String: String], saved: SavedSession?) -> String {
        if let option, !option.isEmpty { return option }
        if let fromEnvironment = environment["XSC_GATEWAY"], !fromEnvironment.isEmpty { return fromEnvironment }
        return saved?.gateway ?? defaultGateway
    }

    static func channel(to address: String) throws(CLIError) -> RPCChannel {
        guard let target = HostPort(parsing: address), target.port > 0 else {
            throw .usage("--gateway \(address) is not HOST:PORT (e.g. 127.0.0.1:7100)")
        }
        return RPCChannel(host: target.host, port: target.port)
    }

    /// The saved session's caller; not logged in is exit 3 with what to do.
    static func open(_ options: PeopleOptions) throws(CLIError) -> Caller {
        let environment = ProcessEnvironment.current()
        let store = SessionStore(environment: environment)
        guard let session = try store.load() else {
            let failure = RPCFailure(RPCError(code: .unauthenticated, message: "no session in \(store.path)"),
                                     gateway: gatewayAddress(option: options.gateway, environment: environment, saved: nil),
                                     hint: "run `xsc login` (with --gateway HOST:PORT or XSC_GATEWAY if the gateway is not on 127.0.0.1:7100)")
            if options.json { print(failure.json.rendered()) }
            throw .refused(failure)
        }
        let address = gatewayAddress(option: options.gateway, environment: environment, saved: session)
        return Caller(session: session, address: address, channel: try channel(to: address), json: options.json,
                      time: TimeText(environment: environment), environment: environment)
    }

    /// Call options with the session; writes carry a fresh idempotency key, so the system may
    /// retry them safely and a resent request is never done twice.
    func options(write: Bool = false) -> CallOptions {
        var metadata = Metadata()
        metadata.add("authorization", "Bearer " + session.token)
        if write { metadata.add("idempotency-key", UUID().uuidString.lowercased()) }
        return CallOptions(metadata: metadata, timeout: .seconds(30))
    }

    /// Runs one call; a refusal becomes the person's message (and, with --json, a JSON error on
    /// stdout). The hints say what to do next after a missing id (`notFound`), a state conflict
    /// (`state`) or a duplicate (`exists`) when the usual advice for the status does not fit.
    func run<Answer>(notFound: String? = nil, state: String? = nil, exists: String? = nil,
                     _ body: () async throws -> Answer) async throws(CLIError) -> Answer {
        do {
            return try await body()
        } catch let error as RPCError {
            var hints: [StatusCode: String] = [.unauthenticated: "your session has ended or was revoked: run `xsc login` again"]
            hints[.notFound] = notFound
            hints[.failedPrecondition] = state
            hints[.alreadyExists] = exists
            let failure = RPCFailure(error, gateway: address, hints: hints)
            if json { print(failure.json.rendered()) }
            throw .refused(failure)
        } catch let error as CLIError {
            throw error
        } catch {
            throw .failed("\(error)")
        }
    }

    /// Prints the JSON form with --json, else the text form.
    func emit(_ value: @autoclosure () -> JSONValue, text: @autoclosure () -> String) {
        print(json ? value().rendered() : text())
    }

    func close() { channel.close() }
}
