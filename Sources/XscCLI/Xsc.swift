import ArgumentParser

/// The root of `xsc`: the commands for people (through the gateway, with the caller's own
/// session) and the operators' tools.
struct Xsc: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "xsc",
        abstract: "The XSC command line: your orders, customers, proposals, notices and statements.",
        discussion: """
        Start with `xsc login` (gateway: --gateway HOST:PORT or XSC_GATEWAY; default \
        127.0.0.1:7100). Every command for people goes through the gateway with your own session \
        and rights, kept in $XDG_CONFIG_HOME/xsc/session (else ~/.config/xsc/session, or \
        XSC_SESSION_FILE), a file of mode 600. Tables by default; --json prints JSON with stable \
        keys for scripts (an error too, on stdout, besides the sentence on stderr). Times are \
        shown and typed in Asia/Shanghai (XSC_TIME_ZONE to change).

        Shell completion: xsc --generate-completion-script bash > /etc/bash_completion.d/xsc \
        (or zsh, fish).

        \(ExitStatus.helpText)
        """,
        version: "xsc 1",
        groupedSubcommands: [
            CommandGroup(name: "Your session", subcommands: [LoginCommand.self, LogoutCommand.self, WhoAmICommand.self]),
            CommandGroup(name: "Work", subcommands: [
                OrdersCommand.self, CustomersCommand.self, ProposalsCommand.self, NoticesCommand.self,
                StatementsCommand.self, ViolationsCommand.self,
            ]),
            CommandGroup(name: "Operators", subcommands: [
                HealthCommand.self, MintActorCommand.self, DBBootstrapCommand.self, SeedDrillCommand.self, OutboxCommand.self,
            ]),
        ])

    /// `xsc` alone: the help, and a usage status (it did nothing).
    func run() throws {
        print(Self.helpMessage())
        throw ExitCode(ExitStatus.usage)
    }
}
