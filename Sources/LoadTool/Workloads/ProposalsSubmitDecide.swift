import Messages
import RPC
import ServiceAPI
import ServiceKit

/// proposals.submit-decide: a salesperson writes a proposal (CreateProposal), submits it
/// (SubmitProposal: its superiors are asked, the decision window starts as a durable timer)
/// and the team admin decides it (DecideProposal, execute): three RPCs per operation, timed
/// together. Directly, minted proposers and their team admin are put into proposals' directory
/// first (as the gateway's feed would); through the gateway, login 1 is the proposer (a
/// salesperson) and login 2 the team admin of the proposer's team.
struct ProposalsSubmitDecide: Workload {
    /// (call metadata, account id) of each proposer.
    let proposers: [(metadata: Metadata, id: String)]
    let decider: Metadata
    let system: Metadata?
    let team: String
    let runID: String

    init(_ request: Parameters, access: Access, runID: String, setup: RPCChannel) async throws {
        self.runID = runID
        let team = request.string("team", default: "/hq/cq/cq-o1/cq-o1-d3/load-pt")
        self.team = team
        if access.via == .direct {
            let count = max(1, request.int("proposers", default: 4))
            proposers = try (0..<count).map { index in
                let id = "load-pp-\(index)"
                return (try access.metadata(for: Persona(accountID: id, role: .staff, domainRole: "salesperson", teamPath: team),
                                            login: 0, gatewayRole: ""), id)
            }
            decider = try access.metadata(for: Persona(accountID: "load-ta", role: .staff, domainRole: "team_admin", teamPath: team),
                                          login: 0, gatewayRole: "")
            system = try access.metadata(for: .system("gateway"), login: 0, gatewayRole: "")
        } else {
            let proposer = try access.metadata(for: Persona(accountID: "", role: .staff), login: 0, gatewayRole: "a salesperson (the proposer)")
            decider = try access.metadata(for: Persona(accountID: "", role: .staff), login: 1,
                                          gatewayRole: "the team admin of the proposer's team (the decider)")
            proposers = [(proposer, try await Access.accountID(channel: setup, session: proposer))]
            system = nil
        }
    }

    /// Directly: the proposers and their team admin in proposals' directory (upserts).
    func prepare(channel: RPCChannel) async throws {
        guard let system else { return }
        let client = Xsc_Proposals_V1_ProposalServiceClient(channel: channel)
        let call = CallOptions(metadata: system, timeout: .seconds(30), waitForReady: true)
        let version = SystemWallClock.now()
        for (id, role) in proposers.map({ ($0.id, "salesperson") }) + [("load-ta", "team_admin")] {
            var entry = Xsc_Common_V1_DirectoryEntry()
            entry.accountId = id
            entry.name = id
            entry.domainRole = role
            entry.nodePath = team
            entry.enabled = true
            entry.version = version
            _ = try await client.setDirectoryEntry(entry, options: call)
        }
    }

    func operation(_ number: Int, channel: RPCChannel) async throws -> Int {
        let client = Xsc_Proposals_V1_ProposalServiceClient(channel: channel)
        let proposer = proposers[number % proposers.count]
        let now = SystemWallClock.now()
        var draft = Xsc_Proposals_V1_ProposalDraft()
        draft.title = "压测品鉴会 \(number)"
        draft.purpose = "让新小区认识我们的酒"
        draft.content = "周六在小区会所办一场品鉴会"
        draft.resources = "样酒 12 瓶"
        draft.participantAccountIds = [proposer.id]
        draft.startAtMs = now + 3_600_000
        draft.finishAtMs = now + 7_200_000
        draft.checkpointAtMs = [now + 5_400_000]
        var create = Xsc_Proposals_V1_CreateProposalRequest()
        create.draft = draft
        let key = "load-\(runID)-\(number)"
        let created = try await client.createProposal(create, options: options(proposer.metadata, key: "c-" + key))
        var submit = Xsc_Proposals_V1_ProposalRequest()
        submit.proposalId = created.id
        _ = try await RefusedAfter.call(after: 1) {
            try await client.submitProposal(submit, options: options(proposer.metadata, key: "s-" + key))
        }
        var decide = Xsc_Proposals_V1_DecideRequest()
        decide.proposalId = created.id
        decide.decision = .execute
        decide.comment = "同意"
        let decided = try await RefusedAfter.call(after: 2) {
            try await client.decideProposal(decide, options: options(decider, key: "d-" + key))
        }
        guard decided.state == .executing else { throw CheckFailure(message: "proposal \(created.id) is \(decided.state) after the decision") }
        return 3
    }

    private func options(_ metadata: Metadata, key: String) -> CallOptions {
        var metadata = metadata
        metadata.add("idempotency-key", key)
        return CallOptions(metadata: metadata, timeout: .seconds(30))
    }
}
