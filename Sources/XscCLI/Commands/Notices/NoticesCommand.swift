import ArgumentParser
import Messages
import ServiceAPI

/// `xsc notices`: team notices (proposals service), questions under them and their answers.
struct NoticesCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "notices",
        abstract: "Team notices: publish, list, show, ask, answer, acknowledge.",
        discussion: "Notices are closed inside your team; opening one (show) marks it read.",
        subcommands: [List.self, Show.self, Publish.self, Ask.self, Answer.self, Acknowledge.self],
        defaultSubcommand: List.self)

    static let notFoundHint = "check the id; `xsc notices list` shows your team's notices"

    static func json(_ notice: Xsc_Proposals_V1_Notice) -> JSONValue {
        .object([
            ("id", .string(notice.id)), ("team_path", .string(notice.teamPath)),
            ("author_account_id", .string(notice.authorAccountId)), ("title", .string(notice.title)),
            ("body", .string(notice.body)), ("sms", .bool(notice.sms)), ("acknowledge_by_ms", .int(notice.acknowledgeByMs)),
            ("published_at_ms", .int(notice.publishedAtMs)), ("read_at_ms", .int(notice.readAtMs)),
            ("acknowledged_at_ms", .int(notice.acknowledgedAtMs)),
        ])
    }

    static func questionJSON(_ question: Xsc_Proposals_V1_Question) -> JSONValue {
        .object([
            ("id", .string(question.id)), ("notice_id", .string(question.noticeId)),
            ("asker_account_id", .string(question.askerAccountId)), ("text", .string(question.text)),
            ("asked_at_ms", .int(question.askedAtMs)), ("answer", .string(question.answer)),
            ("answered_by", .string(question.answeredBy)), ("answered_at_ms", .int(question.answeredAtMs)),
        ])
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Your team's notices, newest first.")

        @OptionGroup var options: PeopleOptions
        @Option(help: "At most this many (default 50).") var limit: Int32 = 50

        func run() async throws {
            let caller = try Caller.open(options)
            defer { caller.close() }
            var request = Xsc_Proposals_V1_ListNoticesRequest()
            var page = Xsc_Common_V1_PageRequest()
            page.pageSize = limit
            request.page = page
            let client = Xsc_Proposals_V1_ProposalServiceClient(channel: caller.channel)
            let notices = try await caller.run { try await client.listNotices(request, options: caller.options()) }.notices
            var table = Table("title", "published", "read", "acknowledge by", "id")
            for notice in notices {
                table.add(notice.title, caller.time.show(notice.publishedAtMs), notice.readAtMs == 0 ? "unread" : "read",
                          caller.time.show(notice.acknowledgeByMs), notice.id)
            }
            caller.emit(.object([("notices", .array(notices.map(NoticesCommand.json)))]),
                        text: notices.isEmpty ? "no notices" : table.rendered())
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "One notice with its questions and answers (marks it read).")

        @OptionGroup var options: PeopleOptions
        @Argument(help: "The notice's id.") var notice: String

        func run() async throws {
            let caller = try Caller.open(options)
            defer { caller.close() }
            let client = Xsc_Proposals_V1_ProposalServiceClient(channel: caller.channel)
            var request = Xsc_Proposals_V1_NoticeRequest()
            request.noticeId = notice
            let found = try await caller.run(notFound: NoticesCommand.notFoundHint) { try await client.getNotice(request, options: caller.options()) }
            var list = Xsc_Proposals_V1_ListQuestionsRequest()
            list.noticeId = found.id
            let questions = try await caller.run { try await client.listQuestions(list, options: caller.options()) }.questions
            var fields = Fields()
            fields.add("notice", "\(found.title) (id \(found.id))")
            fields.add("published", "\(caller.time.show(found.publishedAtMs)) by \(found.authorAccountId)")
            fields.addIfAny("acknowledge by", caller.time.show(found.acknowledgeByMs))
            fields.add("text", found.body)
            var text = fields.rendered()
            if !questions.isEmpty {
                var table = Table("question", "asked by", "answer", "id")
                for question in questions {
                    table.add(question.text, question.askerAccountId, question.answer.isEmpty ? "(not answered yet)" : question.answer, question.id)
                }
                text += "\n\n" + table.rendered()
            }
            caller.emit(.object([("notice", NoticesCommand.json(found)), ("questions", .array(questions.map(NoticesCommand.questionJSON)))]),
                        text: text)
        }
    }

    struct Publish: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Publish a notice to your team.")

        @OptionGroup var options: PeopleOptions
        @Option(help: "1-100 characters.") var title: String
        @Option(help: "The notice's text.") var body: String
        @Flag(help: "Also tell every member by SMS.") var sms = false
        @Option(name: .customLong("acknowledge-by"), help: "Members must acknowledge by then (2026-12-08 18:00, +1d, ...).")
        var acknowledgeBy: String?

        func run() async throws {
            let caller = try Caller.open(options)
            defer { caller.close() }
            var request = Xsc_Proposals_V1_PublishNoticeRequest()
            request.title = title
            request.body = body
            request.sms = sms
            if let acknowledgeBy { request.acknowledgeByMs = try caller.time.parse(acknowledgeBy, option: "--acknowledge-by") }
            let client = Xsc_Proposals_V1_ProposalServiceClient(channel: caller.channel)
            let notice = try await caller.run { try await client.publishNotice(request, options: caller.options(write: true)) }
            caller.emit(NoticesCommand.json(notice), text: "notice published to \(notice.teamPath) (id \(notice.id))")
        }
    }

    struct Ask: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Ask a question under a notice.")

        @OptionGroup var options: PeopleOptions
        @Argument(help: "The notice's id.") var notice: String
        @Argument(help: "Your question.") var text: String

        func run() async throws {
            let caller = try Caller.open(options)
            defer { caller.close() }
            var request = Xsc_Proposals_V1_AskQuestionRequest()
            request.noticeId = notice
            request.text = text
            let client = Xsc_Proposals_V1_ProposalServiceClient(channel: caller.channel)
            let question = try await caller.run(notFound: NoticesCommand.notFoundHint) {
                try await client.askQuestion(request, options: caller.options(write: true))
            }
            caller.emit(NoticesCommand.questionJSON(question), text: "question asked (id \(question.id))")
        }
    }

    struct Answer: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Answer a question under a notice.")

        @OptionGroup var options: PeopleOptions
        @Argument(help: "The question's id (see `xsc notices show`).") var question: String
        @Argument(help: "Your answer.") var answer: String

        func run() async throws {
            let caller = try Caller.open(options)
            defer { caller.close() }
            var request = Xsc_Proposals_V1_AnswerQuestionRequest()
            request.questionId = question
            request.answer = answer
            let client = Xsc_Proposals_V1_ProposalServiceClient(channel: caller.channel)
            let answered = try await caller.run(notFound: "check the question id; `xsc notices show NOTICE` lists the questions") {
                try await client.answerQuestion(request, options: caller.options(write: true))
            }
            caller.emit(NoticesCommand.questionJSON(answered), text: "answered (question \(answered.id))")
        }
    }

    struct Acknowledge: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "ack", abstract: "Acknowledge a notice that asks for it.",
                                                        aliases: ["acknowledge"])

        @OptionGroup var options: PeopleOptions
        @Argument(help: "The notice's id.") var notice: String

        func run() async throws {
            let caller = try Caller.open(options)
            defer { caller.close() }
            var request = Xsc_Proposals_V1_NoticeRequest()
            request.noticeId = notice
            let client = Xsc_Proposals_V1_ProposalServiceClient(channel: caller.channel)
            let done = try await caller.run(notFound: NoticesCommand.notFoundHint) {
                try await client.acknowledgeNotice(request, options: caller.options(write: true))
            }
            caller.emit(NoticesCommand.json(done), text: "notice \(done.id) acknowledged")
        }
    }
}
