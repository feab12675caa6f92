import ArgumentParser
import Messages
import ServiceAPI

/// `xsc proposals`: proposals inside your team, decided by the superior within 30 minutes.
struct ProposalsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "proposals",
        abstract: "Proposals: submit, decide, report at checkpoints, analyse, evaluate.",
        discussion: """
        A proposal states purpose, content, resources, participants, start, finish and the \
        checkpoints (start < checkpoints < finish). Your superior decides within 30 minutes; \
        participants report at each checkpoint; after the finish the proposer analyses and every \
        participant evaluates. Missed deadlines are recorded as violations.
        """,
        subcommands: [List.self, Show.self, Submit.self, Decide.self, Report.self, Analyse.self, Evaluate.self, Tasks.self],
        defaultSubcommand: List.self)

    static let notFoundHint = "check the proposal id; `xsc proposals list` shows your team's proposals"
    static let stateHint = "`xsc proposals show ID` tells where it stands"

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Your team's proposals, newest first.")

        @OptionGroup var options: PeopleOptions
        @Option(help: "Only this state (draft, submitted, executing, reviewing, closed, terminated).",
                completion: .list(ProposalView.states.map(EnumName.of)))
        var state: String?
        @Option(help: "At most this many (default 50).") var limit: Int32 = 50

        func run() async throws {
            var request = Xsc_Proposals_V1_ListProposalsRequest()
            if let state { request.state = try EnumName.parse(state, among: ProposalView.states, option: "--state") }
            var page = Xsc_Common_V1_PageRequest()
            page.pageSize = limit
            request.page = page
            let caller = try Caller.open(options)
            defer { caller.close() }
            let client = Xsc_Proposals_V1_ProposalServiceClient(channel: caller.channel)
            let proposals = try await caller.run { try await client.listProposals(request, options: caller.options()) }.proposals
            caller.emit(.object([("proposals", .array(proposals.map(ProposalView.json)))]),
                        text: proposals.isEmpty ? "no proposals" : ProposalView.table(proposals, time: caller.time))
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "One proposal, its checkpoints and evaluations.")

        @OptionGroup var options: PeopleOptions
        @Argument(help: "The proposal's id.") var proposal: String

        func run() async throws {
            let caller = try Caller.open(options)
            defer { caller.close() }
            let found = try await ProposalCall.get(proposal, caller: caller)
            caller.emit(ProposalView.json(found), text: ProposalView.details(found, time: caller.time))
        }
    }

    struct Submit: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write a proposal and submit it to your superior (--draft: keep it as a draft).",
            discussion: """
            e.g. xsc proposals submit --title 中秋团购推广 --purpose "提高团购销量" --content "在三个小区开团" \
            --resources "样酒 6 瓶" --participant ACCOUNT --start +1d --checkpoint +4d --finish +7d
            """)

        @OptionGroup var options: PeopleOptions
        @Option(help: "1-100 characters.") var title: String
        @Option(help: "Why.") var purpose: String
        @Option(help: "What will be done.") var content: String
        @Option(help: "Money, goods, vehicles...") var resources: String
        @Option(help: "A participant's account id (a member of your team); repeat for more.") var participant: [String] = []
        @Option(help: "When it starts (2026-12-08 10:00, +1d, ...).") var start: String
        @Option(help: "When it finishes.") var finish: String
        @Option(help: "An interim report time between start and finish; repeat for more.") var checkpoint: [String] = []
        @Flag(help: "Save it as a draft without submitting.") var draft = false

        func run() async throws {
            let caller = try Caller.open(options)
            defer { caller.close() }
            var text = Xsc_Proposals_V1_ProposalDraft()
            text.title = title
            text.purpose = purpose
            text.content = content
            text.resources = resources
            text.participantAccountIds = participant
            text.startAtMs = try caller.time.parse(start, option: "--start")
            text.finishAtMs = try caller.time.parse(finish, option: "--finish")
            text.checkpointAtMs = try checkpoint.map { (value: String) throws(CLIError) -> Int64 in
                try caller.time.parse(value, option: "--checkpoint")
            }
            var create = Xsc_Proposals_V1_CreateProposalRequest()
            create.draft = text
            let client = Xsc_Proposals_V1_ProposalServiceClient(channel: caller.channel)
            var proposal = try await caller.run { try await client.createProposal(create, options: caller.options(write: true)) }
            if !draft {
                var submit = Xsc_Proposals_V1_ProposalRequest()
                submit.proposalId = proposal.id
                proposal = try await caller.run(state: "the draft \(proposal.id) is kept: `xsc proposals show \(proposal.id)`") {
                    try await client.submitProposal(submit, options: caller.options(write: true))
                }
            }
            let said = draft ? "proposal saved as a draft (id \(proposal.id))"
                : "proposal submitted (id \(proposal.id)); decision due \(caller.time.show(proposal.decisionDueAtMs))"
            caller.emit(ProposalView.json(proposal), text: said)
        }
    }
}

/// Calls shared by the proposal commands.
enum ProposalCall {
    static func get(_ id: String, caller: Caller) async throws(CLIError) -> Xsc_Proposals_V1_Proposal {
        var request = Xsc_Proposals_V1_ProposalRequest()
        request.proposalId = id
        let client = Xsc_Proposals_V1_ProposalServiceClient(channel: caller.channel)
        return try await caller.run(notFound: ProposalsCommand.notFoundHint) { try await client.getProposal(request, options: caller.options()) }
    }

    /// Runs a step and prints the proposal as it is now.
    static func step(_ caller: Caller, said: String,
                     _ call: (Xsc_Proposals_V1_ProposalServiceClient) async throws -> Xsc_Proposals_V1_Proposal) async throws(CLIError) {
        let client = Xsc_Proposals_V1_ProposalServiceClient(channel: caller.channel)
        let proposal = try await caller.run(notFound: ProposalsCommand.notFoundHint, state: ProposalsCommand.stateHint) { try await call(client) }
        caller.emit(ProposalView.json(proposal), text: "\(said): proposal \(proposal.id) is now \(EnumName.of(proposal.state))")
    }
}
