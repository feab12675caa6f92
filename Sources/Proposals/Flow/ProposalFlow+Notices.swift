import DomainKit
import Messages
import Postgres
import RPC
import ServiceKit
import ServiceKitStore

/// Team notices (DOMAIN.md; the drill's third part): published to the team (optionally by
/// SMS), questions under them answered, reads tracked, an optional acknowledgement deadline.
/// Closed inside the team: anyone else gets the NOT_FOUND of a missing id.
extension ProposalFlow {
    public func publishNotice(_ request: Xsc_Proposals_V1_PublishNoticeRequest, actor: VerifiedActor,
                              idempotencyKey: String?) async throws -> Xsc_Proposals_V1_Notice {
        try Self.requireStaff(actor)
        let title = request.title.trimmedForPeople, body = request.body.trimmedForPeople
        let now = clock()
        var problems = FieldViolations()
        problems.add("title", ifProblem: PeopleText.problem(with: title, maxLength: 100))
        problems.add("body", ifProblem: PeopleText.multilineProblem(with: body, maxLength: 5000))
        if request.acknowledgeByMs != 0 && request.acknowledgeByMs <= now {
            problems.add("acknowledge_by_ms", "must be in the future (or 0 for no acknowledgement)")
        }
        try problems.check()
        let members = request.sms ? try await directory.members(of: actor.teamPath).map(\.id).filter { $0 != actor.accountID } : []
        return try await write("PublishNotice", actor: actor, key: idempotencyKey, request: request) { tx in
            let notice = NoticeStore.NoticeRecord(id: makeID(), teamPath: actor.teamPath, author: actor.accountID, title: title,
                                                  body: body, sms: request.sms,
                                                  acknowledgeBy: request.acknowledgeByMs == 0 ? nil : request.acknowledgeByMs,
                                                  publishedAt: now, readAt: now)
            try await notices.insert(notice, in: tx)
            if request.sms {
                try await notifier.send("team_notice", to: members, params: ["title": title], teamPath: actor.teamPath, in: tx)
            }
            if let due = notice.acknowledgeBy {
                try await timers.schedule(in: tx, kind: TimerKind.noticeAcknowledgement, subjectID: notice.id, dueAtMillis: due)
            }
            return notice.message
        }
    }

    /// A notice of the caller's own team, or the NOT_FOUND of a missing one.
    private func teamNotice(_ id: String, actor: VerifiedActor, in tx: PostgresTransaction) async throws -> NoticeStore.NoticeRecord {
        guard !id.isEmpty, id.count <= 100, let notice = try await notices.load(id, reader: actor.accountID, in: tx),
              notice.teamPath == actor.teamPath else {
            throw DomainErrors.notFound("notice", id: id)
        }
        return notice
    }

    /// Opening a notice records the caller's first read.
    public func getNotice(_ request: Xsc_Proposals_V1_NoticeRequest, actor: VerifiedActor) async throws -> Xsc_Proposals_V1_Notice {
        try Self.requireStaff(actor)
        return try await pool.transaction { tx in
            var notice = try await teamNotice(request.noticeId, actor: actor, in: tx)
            if notice.readAt == nil {
                let now = clock()
                try await notices.markRead(notice.id, account: actor.accountID, at: now, in: tx)
                notice.readAt = now
            }
            return notice.message
        }
    }

    public func acknowledgeNotice(_ request: Xsc_Proposals_V1_NoticeRequest, actor: VerifiedActor) async throws -> Xsc_Proposals_V1_Notice {
        try Self.requireStaff(actor)
        return try await pool.transaction { tx in
            var notice = try await teamNotice(request.noticeId, actor: actor, in: tx)
            guard notice.acknowledgeBy != nil else {
                throw DomainErrors.refused(.failedPrecondition, "this notice asks for no acknowledgement; opening it is enough",
                                           reason: ProposalErrorReason.illegalState)
            }
            let now = clock()
            if try await notices.acknowledge(notice.id, account: actor.accountID, at: now, in: tx) {
                notice.acknowledgedAt = now
                notice.readAt = notice.readAt ?? now
            }
            return notice.message
        }
    }

    public func listNotices(_ request: Xsc_Proposals_V1_ListNoticesRequest, actor: VerifiedActor) async throws -> Xsc_Proposals_V1_ListNoticesResponse {
        try Self.requireStaff(actor)
        let after = try Self.cursor((request.page?.cursor ?? ""))
        let size = PageCursor.size((request.page?.pageSize ?? 0))
        return try await pool.transaction { tx in
            let rows = try await notices.page(team: actor.teamPath, reader: actor.accountID, after: after, limit: size + 1, in: tx)
            var response = Xsc_Proposals_V1_ListNoticesResponse()
            response.notices = rows.prefix(size).map(\.record.message)
            response.page = PageCursor.info(rows.count > size ? rows.prefix(size).last.map { last in PageCursor.encode(last.key) } : nil)
            return response
        }
    }

    public func askQuestion(_ request: Xsc_Proposals_V1_AskQuestionRequest, actor: VerifiedActor,
                            idempotencyKey: String?) async throws -> Xsc_Proposals_V1_Question {
        try Self.requireStaff(actor)
        let text = request.text.trimmedForPeople
        try FieldViolations.checking("text", PeopleText.multilineProblem(with: text, maxLength: 1000))
        return try await write("AskQuestion", actor: actor, key: idempotencyKey, request: request) { tx in
            let notice = try await teamNotice(request.noticeId, actor: actor, in: tx)
            let now = clock()
            // Asking is reading.
            try await notices.markRead(notice.id, account: actor.accountID, at: now, in: tx)
            let question = NoticeStore.QuestionRecord(id: makeID(), noticeID: notice.id, asker: actor.accountID, text: text,
                                                      askedAt: now, answer: "", answeredBy: "", answeredAt: nil)
            try await notices.insertQuestion(question, in: tx)
            return question.message
        }
    }

    /// Answered by the notice's author or the team's admin; the asker is told by SMS.
    public func answerQuestion(_ request: Xsc_Proposals_V1_AnswerQuestionRequest, actor: VerifiedActor,
                               idempotencyKey: String?) async throws -> Xsc_Proposals_V1_Question {
        try Self.requireStaff(actor)
        let answer = request.answer.trimmedForPeople
        try FieldViolations.checking("answer", PeopleText.multilineProblem(with: answer, maxLength: 2000))
        return try await write("AnswerQuestion", actor: actor, key: idempotencyKey, request: request) { tx in
            guard !request.questionId.isEmpty, request.questionId.count <= 100,
                  var question = try await notices.question(request.questionId, forUpdate: true, in: tx),
                  let notice = try await notices.load(question.noticeID, reader: actor.accountID, in: tx),
                  notice.teamPath == actor.teamPath else {
                throw DomainErrors.notFound("question", id: request.questionId)
            }
            guard actor.accountID == notice.author || actor.domainRole == "team_admin" else {
                throw DomainErrors.refused(.permissionDenied, "questions are answered by the notice's author or the team admin",
                                           reason: ProposalErrorReason.notAllowed)
            }
            guard question.answeredAt == nil else {
                throw DomainErrors.refused(.alreadyExists, "this question was already answered", reason: ProposalErrorReason.alreadyDone)
            }
            question.answer = answer
            question.answeredBy = actor.accountID
            question.answeredAt = clock()
            try await notices.saveAnswer(question, in: tx)
            try await notifier.send("notice_answered", to: [question.asker], params: ["title": notice.title, "answer": answer],
                                    teamPath: notice.teamPath, in: tx)
            return question.message
        }
    }

    public func listQuestions(_ request: Xsc_Proposals_V1_ListQuestionsRequest, actor: VerifiedActor) async throws -> Xsc_Proposals_V1_ListQuestionsResponse {
        try Self.requireStaff(actor)
        let after = try Self.cursor((request.page?.cursor ?? ""))
        guard after == nil || Int64(after ?? "") != nil else { throw FieldViolations.error("page.cursor", "not a cursor this service gave out") }
        let size = PageCursor.size((request.page?.pageSize ?? 0))
        return try await pool.transaction { tx in
            let notice = try await teamNotice(request.noticeId, actor: actor, in: tx)
            let rows = try await notices.questions(notice: notice.id, after: Int64(after ?? "") ?? 0, limit: size + 1, in: tx)
            var response = Xsc_Proposals_V1_ListQuestionsResponse()
            response.questions = rows.prefix(size).map(\.0.message)
            response.page = PageCursor.info(rows.count > size ? rows.prefix(size).last.map { last in PageCursor.encode(String(last.1)) } : nil)
            return response
        }
    }

    /// Who has read the notice, and which members have not yet.
    public func listNoticeReads(_ request: Xsc_Proposals_V1_NoticeRequest, actor: VerifiedActor) async throws -> Xsc_Proposals_V1_NoticeReadsResponse {
        try Self.requireStaff(actor)
        let members = try await directory.members(of: actor.teamPath).map(\.id)
        return try await pool.transaction { tx in
            let notice = try await teamNotice(request.noticeId, actor: actor, in: tx)
            let reads = try await notices.reads(notice.id, in: tx)
            let readers = Set(reads.map(\.accountId))
            var response = Xsc_Proposals_V1_NoticeReadsResponse()
            response.noticeId = notice.id
            response.read = reads
            response.unreadAccountIds = members.filter { !readers.contains($0) }
            return response
        }
    }

    /// The acknowledgement deadline: a violation for each member who did not acknowledge.
    func acknowledgementDeadlinePassed(noticeID: String, dueAt: Int64, in tx: PostgresTransaction) async throws {
        guard let notice = try await notices.load(noticeID, reader: "", in: tx) else { return }
        let acknowledged = try await notices.acknowledgedBy(notice.id, in: tx)
        let now = clock()
        for member in try await directory.members(of: notice.teamPath)
        where member.id != notice.author && !acknowledged.contains(member.id) {
            try await recordViolation(ViolationRecord(
                rule: .noticeAcknowledgement, person: member.id, teamPath: notice.teamPath, proposalID: "", reference: notice.id,
                dueAtMillis: dueAt, recordedAtMillis: now, detail: "notice \"\(notice.title)\" not acknowledged by its deadline"), in: tx)
        }
    }

    /// The sort key a cursor carries; INVALID_ARGUMENT for one this service did not give out.
    static func cursor(_ cursor: String) throws -> String? {
        let decoded = PageCursor.decode(cursor)
        guard decoded.valid else { throw FieldViolations.error("page.cursor", "not a cursor this service gave out") }
        return decoded.key
    }
}
