import DomainKit
import Messages
import RPC
import ServiceKit

/// The order area's reports, over the caller's own subtree of the organisation (aggregates
/// only, so every staff node may see its own figures; partners use the feed instead).
extension OrderFlow {
    /// Longest period one report covers.
    static let maxReportSpanMillis: Int64 = 400 * 24 * 3600 * 1000

    public func salesByTeam(_ request: Xsc_Orders_V1_ReportRequest, actor: VerifiedActor) async throws -> Xsc_Orders_V1_SalesByTeamResponse {
        let scope = try reportScope(request, actor: actor, basisAllowed: true)
        let grouping = ReportGrouping(request.groupBy)
        let basis: ReportQueries.SalesBasis = request.basis == .visited ? .visited : .submitted
        var response = Xsc_Orders_V1_SalesByTeamResponse()
        response.rows = try await pool.transaction { tx in
            try await ReportQueries().salesByTeam(scope, grouping: grouping, basis: basis, in: tx)
        }
        return response
    }

    public func slaCompliance(_ request: Xsc_Orders_V1_ReportRequest, actor: VerifiedActor) async throws -> Xsc_Orders_V1_SlaComplianceResponse {
        let scope = try reportScope(request, actor: actor)
        var response = Xsc_Orders_V1_SlaComplianceResponse()
        response.rows = try await pool.transaction { tx in try await ReportQueries().slaCompliance(scope, in: tx) }
        return response
    }

    public func ordersByWeekdayHour(_ request: Xsc_Orders_V1_ReportRequest, actor: VerifiedActor) async throws -> Xsc_Orders_V1_OrdersByWeekdayHourResponse {
        let scope = try reportScope(request, actor: actor)
        var response = Xsc_Orders_V1_OrdersByWeekdayHourResponse()
        response.cells = try await pool.transaction { tx in try await ReportQueries().ordersByWeekdayHour(scope, in: tx) }
        return response
    }

    public func channelMix(_ request: Xsc_Orders_V1_ReportRequest, actor: VerifiedActor) async throws -> Xsc_Orders_V1_ChannelMixResponse {
        let scope = try reportScope(request, actor: actor)
        var response = Xsc_Orders_V1_ChannelMixResponse()
        response.rows = try await pool.transaction { tx in try await ReportQueries().channelMix(scope, in: tx) }
        return response
    }

    private func reportScope(_ request: Xsc_Orders_V1_ReportRequest, actor: VerifiedActor,
                             basisAllowed: Bool = false) throws -> ReportQueries.Scope {
        let viewer = OrderViewer(actor)
        guard !viewer.isPartner, viewer.teamPath.hasPrefix("/") else {
            throw RPCError.notAllowed("reports cover an organisation node; this account has none")
        }
        var problems = FieldViolations()
        if request.fromMs < 0 { problems.add("from_ms", "a Unix time in milliseconds") }
        if case .unrecognized = request.groupBy { problems.add("group_by", "unspecified, day, week, month or quarter") }
        switch request.basis {
        case .unspecified: break
        case .submitted, .visited:
            if !basisAllowed { problems.add("basis", "only SalesByTeam counts by a basis; leave it unspecified") }
        case .unrecognized: problems.add("basis", "unspecified, submitted or visited")
        }
        if request.toMs <= request.fromMs { problems.add("to_ms", "after from_ms") }
        else if request.toMs - request.fromMs > Self.maxReportSpanMillis { problems.add("to_ms", "a report covers at most 400 days") }
        try problems.check()
        return ReportQueries.Scope(teamPath: viewer.teamPath, teamPrefix: viewer.teamPrefix, fromMillis: request.fromMs,
                                   toMillis: request.toMs, timeZone: timeZone)
    }
}
