import ArgumentParser
import Foundation
import Messages
import RPC
import ServiceAPI
import ServiceKit

/// `xsc login`: a staff session through the gateway's AuthService, saved for the next commands.
struct LoginCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "login",
        abstract: "Log in with your phone and password; the session is kept for the next commands.",
        discussion: """
        Asks for the phone (unless --phone) and the password (without echo; --password-stdin \
        reads it from standard input, for scripts). The session is saved in a file of mode 600 \
        ($XDG_CONFIG_HOME/xsc/session, ~/.config/xsc/session or XSC_SESSION_FILE) with the \
        gateway it belongs to; `xsc logout` ends it.
        """)

    @OptionGroup var options: PeopleOptions
    @Option(help: "Your mainland mobile number.") var phone: String?
    @Flag(name: .customLong("password-stdin"), help: "Read the password from standard input (one line).") var passwordStdin = false

    func run() async throws {
        let environment = ProcessEnvironment.current()
        let store = SessionStore(environment: environment)
        let address = Caller.gatewayAddress(option: options.gateway, environment: environment, saved: nil)
        guard let phone = self.phone ?? Prompt.line("Phone: ").map({ $0.trimmingCharacters(in: .whitespaces) }), !phone.isEmpty else {
            throw CLIError.usage("give --phone or type the phone at the prompt")
        }
        let password: String
        if passwordStdin {
            guard let line = readLine(strippingNewline: true), !line.isEmpty else {
                throw CLIError.usage("--password-stdin: no password on standard input")
            }
            password = line
        } else {
            guard let typed = Prompt.secret("Password: "), !typed.isEmpty else {
                throw CLIError.usage("no password typed (without a terminal, use --password-stdin)")
            }
            password = typed
        }

        let channel = try Caller.channel(to: address)
        defer { channel.close() }
        var request = Xsc_Gateway_V1_LoginRequest()
        request.phone = phone
        request.password = password
        let answer: Xsc_Gateway_V1_LoginResponse
        do {
            answer = try await Xsc_Gateway_V1_AuthServiceClient(channel: channel).login(request, options: CallOptions(timeout: .seconds(30)))
        } catch let error as RPCError {
            let failure = RPCFailure(error, gateway: address, hints: [
                .unauthenticated: "check the phone and the password and try again (a disabled account cannot log in: ask your team admin)",
            ])
            if options.json { print(failure.json.rendered()) }
            throw CLIError.refused(failure)
        }
        let account = answer.account ?? Xsc_Gateway_V1_Account()
        let session = SavedSession(gateway: address, token: answer.sessionToken, accountID: account.id, name: account.name,
                                   phone: account.phone, role: EnumName.of(account.role), nodePath: account.nodePath,
                                   expiresAtMs: answer.expiresAtMs)
        try store.save(session)
        let time = TimeText(environment: environment)
        if options.json {
            print(JSONValue.object([
                ("account", AccountJSON.of(account)),
                ("expires_at_ms", .int(answer.expiresAtMs)),
                ("gateway", .string(address)),
                ("session_file", .string(store.path)),
            ]).rendered())
        } else {
            print("logged in as \(account.name) (\(account.phone)), \(session.role) at \(account.nodePath)")
            print("session until \(time.show(answer.expiresAtMs)), kept in \(store.path)")
        }
    }
}

/// `xsc logout`: ends the session at the gateway and forgets it here.
struct LogoutCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "logout", abstract: "End your session.")

    @OptionGroup var options: PeopleOptions

    func run() async throws {
        let store = SessionStore(environment: ProcessEnvironment.current())
        guard try store.load() != nil else {
            print(options.json ? JSONValue.object([("logged_out", .bool(false))]).rendered() : "not logged in")
            return
        }
        let caller = try Caller.open(options)
        defer { caller.close() }
        do {
            _ = try await Xsc_Gateway_V1_AuthServiceClient(channel: caller.channel)
                .logout(Xsc_Gateway_V1_LogoutRequest(), options: caller.options())
        } catch let error as RPCError where error.code == .unauthenticated {
            // Ended already (expired or revoked): forgetting it here is all that is left.
        } catch let error as RPCError {
            throw CLIError.refused(RPCFailure(error, gateway: caller.address,
                                              hint: "the session is still saved; try `xsc logout` again when the gateway answers"))
        }
        store.remove()
        caller.emit(.object([("logged_out", .bool(true))]), text: "logged out (\(caller.session.phone))")
    }
}

/// `xsc whoami`: who the gateway says the session belongs to.
struct WhoAmICommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "whoami", abstract: "Show who you are logged in as.")

    @OptionGroup var options: PeopleOptions

    func run() async throws {
        let caller = try Caller.open(options)
        defer { caller.close() }
        let answer = try await caller.run {
            try await Xsc_Gateway_V1_AuthServiceClient(channel: caller.channel)
                .whoAmI(Xsc_Gateway_V1_WhoAmIRequest(), options: caller.options())
        }
        let account = answer.account ?? Xsc_Gateway_V1_Account()
        var fields = Fields()
        fields.add("name", account.name)
        fields.add("phone", account.phone)
        fields.add("role", EnumName.of(account.role))
        fields.add("node", account.nodePath)
        fields.add("account id", account.id)
        fields.add("session until", caller.time.show(answer.sessionExpiresAtMs))
        fields.add("gateway", caller.address)
        caller.emit(.object([("account", AccountJSON.of(account)), ("session_expires_at_ms", .int(answer.sessionExpiresAtMs)),
                             ("gateway", .string(caller.address))]),
                    text: fields.rendered())
    }
}

enum AccountJSON {
    static func of(_ account: Xsc_Gateway_V1_Account) -> JSONValue {
        .object([
            ("id", .string(account.id)), ("name", .string(account.name)), ("phone", .string(account.phone)),
            ("role", .string(EnumName.of(account.role))), ("node_path", .string(account.nodePath)),
            ("enabled", .bool(account.enabled)),
        ])
    }
}
