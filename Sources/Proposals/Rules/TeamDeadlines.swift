import DomainKit
import Messages

/// A team's deadlines (configurable per team; DOMAIN.md's 30 minutes is the default
/// decision window). Pure values, in seconds.
struct TeamDeadlines: Equatable, Sendable {
    var decisionWindow: Int32 = 1800
    var reportGrace: Int32 = 1800
    var reviewWindow: Int32 = 86_400
    var reminderLead: Int32 = 600

    static let defaults = TeamDeadlines()

    static let decisionRange: ClosedRange<Int32> = 1...86_400
    static let reportGraceRange: ClosedRange<Int32> = 1...604_800
    static let reviewRange: ClosedRange<Int32> = 1...2_592_000
    static let reminderRange: ClosedRange<Int32> = 0...86_400

    init() {}

    init(_ settings: Xsc_Proposals_V1_TeamSettings) {
        decisionWindow = settings.decisionWindowSeconds
        reportGrace = settings.reportGraceSeconds
        reviewWindow = settings.reviewWindowSeconds
        reminderLead = settings.reminderLeadSeconds
    }

    /// Every out-of-range field at once.
    static func problems(_ settings: Xsc_Proposals_V1_TeamSettings) -> FieldViolations {
        var problems = FieldViolations()
        func check(_ value: Int32, _ range: ClosedRange<Int32>, _ field: String) {
            if !range.contains(value) {
                problems.add("settings.\(field)", "must be \(range.lowerBound) to \(range.upperBound) seconds (got \(value))")
            }
        }
        check(settings.decisionWindowSeconds, decisionRange, "decision_window_seconds")
        check(settings.reportGraceSeconds, reportGraceRange, "report_grace_seconds")
        check(settings.reviewWindowSeconds, reviewRange, "review_window_seconds")
        check(settings.reminderLeadSeconds, reminderRange, "reminder_lead_seconds")
        return problems
    }

    func message(teamPath: String) -> Xsc_Proposals_V1_TeamSettings {
        var settings = Xsc_Proposals_V1_TeamSettings()
        settings.teamPath = teamPath
        settings.decisionWindowSeconds = decisionWindow
        settings.reportGraceSeconds = reportGrace
        settings.reviewWindowSeconds = reviewWindow
        settings.reminderLeadSeconds = reminderLead
        return settings
    }

    var decisionWindowMillis: Int64 { Int64(decisionWindow) * 1000 }
    var reportGraceMillis: Int64 { Int64(reportGrace) * 1000 }
    var reviewWindowMillis: Int64 { Int64(reviewWindow) * 1000 }
    var reminderLeadMillis: Int64 { Int64(reminderLead) * 1000 }
}
