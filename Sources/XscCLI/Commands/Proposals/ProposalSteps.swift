import ArgumentParser
import Messages
import ServiceAPI

extension ProposalsCommand {
    struct Decide: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Decide a proposal sent to you: --execute or --terminate, with a comment.")

        @OptionGroup var options: PeopleOptions
        @Argument(help: "The proposal's id.") var proposal: String
        @Flag(help: "Go ahead.") var execute = false
        @Flag(help: "Stop it.") var terminate = false
        @Option(help: "Why (required).") var comment: String

        func validate() throws {
            guard execute != terminate else { throw ValidationError("say --execute or --terminate") }
        }

        func run() async throws {
            let caller = try Caller.open(options)
            defer { caller.close() }
            var request = Xsc_Proposals_V1_DecideRequest()
            request.proposalId = proposal
            request.decision = execute ? .execute : .terminate
            request.comment = comment
            try await ProposalCall.step(caller, said: execute ? "decided: execute" : "decided: terminate") { client in
                try await client.decideProposal(request, options: caller.options(write: true))
            }
        }
    }

    struct Report: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Report your result at a checkpoint (participants).",
            discussion: "Without --checkpoint: the earliest checkpoint you have not reported on.")

        @OptionGroup var options: PeopleOptions
        @Argument(help: "The proposal's id.") var proposal: String
        @Option(help: "The checkpoint's id (see `xsc proposals show`).") var checkpoint: String?
        @Option(help: "What was done.") var result: String

        func run() async throws {
            let caller = try Caller.open(options)
            defer { caller.close() }
            var checkpointID = checkpoint
            if checkpointID == nil {
                let found = try await ProposalCall.get(proposal, caller: caller)
                checkpointID = found.checkpoints.first { checkpoint in
                    !checkpoint.reports.contains { $0.accountId == caller.session.accountID }
                }?.id
                guard checkpointID != nil else {
                    throw CLIError.usage("you have reported on every checkpoint of \(proposal) (give --checkpoint to be explicit)")
                }
            }
            var request = Xsc_Proposals_V1_ReportCheckpointRequest()
            request.proposalId = proposal
            request.checkpointId = checkpointID ?? ""
            request.result = result
            try await ProposalCall.step(caller, said: "checkpoint reported") { client in
                try await client.reportCheckpoint(request, options: caller.options(write: true))
            }
        }
    }

    struct Analyse: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Submit the effect analysis after the finish (the proposer).", aliases: ["analysis"])

        @OptionGroup var options: PeopleOptions
        @Argument(help: "The proposal's id.") var proposal: String
        @Option(help: "The analysis.") var text: String

        func run() async throws {
            let caller = try Caller.open(options)
            defer { caller.close() }
            var request = Xsc_Proposals_V1_SubmitAnalysisRequest()
            request.proposalId = proposal
            request.analysis = text
            try await ProposalCall.step(caller, said: "analysis submitted") { client in
                try await client.submitAnalysis(request, options: caller.options(write: true))
            }
        }
    }

    struct Evaluate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Submit your evaluation after the finish (participants).")

        @OptionGroup var options: PeopleOptions
        @Argument(help: "The proposal's id.") var proposal: String
        @Option(help: "1 to 5.") var score: Int32
        @Option(help: "Your evaluation.") var text: String

        func run() async throws {
            let caller = try Caller.open(options)
            defer { caller.close() }
            var request = Xsc_Proposals_V1_SubmitEvaluationRequest()
            request.proposalId = proposal
            request.score = score
            request.text = text
            try await ProposalCall.step(caller, said: "evaluation submitted") { client in
                try await client.submitEvaluation(request, options: caller.options(write: true))
            }
        }
    }

    struct Tasks: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "What waits for you: decisions, checkpoint reports, analyses, evaluations, unread notices.")

        @OptionGroup var options: PeopleOptions

        func run() async throws {
            let caller = try Caller.open(options)
            defer { caller.close() }
            let client = Xsc_Proposals_V1_ProposalServiceClient(channel: caller.channel)
            let tasks = try await caller.run {
                try await client.listMyTasks(Xsc_Proposals_V1_ListMyTasksRequest(), options: caller.options())
            }.tasks
            var table = Table("task", "title", "due", "proposal", "notice")
            for task in tasks {
                table.add(EnumName.of(task.kind), task.title, caller.time.show(task.dueAtMs), task.proposalId, task.noticeId)
            }
            caller.emit(.object([("tasks", .array(tasks.map { task in
                .object([("kind", .string(EnumName.of(task.kind))), ("title", .string(task.title)), ("due_at_ms", .int(task.dueAtMs)),
                         ("proposal_id", .string(task.proposalId)), ("notice_id", .string(task.noticeId)),
                         ("reference", .string(task.reference))])
            }))]), text: tasks.isEmpty ? "nothing waits for you" : table.rendered())
        }
    }
}
