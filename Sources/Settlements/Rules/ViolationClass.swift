import Messages

/// Seed 003's classes of violations and the two kinds of people its table prices.
enum ViolationSeverity: String, Sendable, CaseIterable {
    case general, serious, severe

    init?(_ message: Xsc_Settlements_V1_ViolationClass) {
        switch message {
        case .general: self = .general
        case .serious: self = .serious
        case .severe: self = .severe
        default: return nil
        }
    }

    var message: Xsc_Settlements_V1_ViolationClass {
        switch self {
        case .general: .general
        case .serious: .serious
        case .severe: .severe
        }
    }
}

enum PersonKind: String, Sendable {
    init?(_ message: Xsc_Settlements_V1_PersonKind) {
        switch message {
        case .staff: self = .staff
        case .dealer: self = .dealer
        default: return nil
        }
    }

    var message: Xsc_Settlements_V1_PersonKind { self == .staff ? .staff : .dealer }

    /// Company staff (leads, salespeople...): 200/500/1000 yuan.
    case staff
    /// Dealers and distributors: 2000/5000/10000 yuan.
    case dealer
}

/// How the ledger classes what other services report. A missed five-minute step is a general
/// violation of the person who missed it; the dealer's step (accepting) is priced as a dealer.
/// Proposal-area misses are general violations of staff.
enum ViolationRules {
    static func slaRule(step: Xsc_Orders_V1_SlaStep) -> String {
        switch step {
        case .acknowledge: "sla_acknowledge"
        case .assign: "sla_assign"
        case .accept: "sla_accept"
        default: "sla_unspecified"
        }
    }

    static func personKind(slaStep step: Xsc_Orders_V1_SlaStep) -> PersonKind {
        step == .accept ? .dealer : .staff
    }

    static func personKind(domainRole: String?) -> PersonKind {
        domainRole == "dealer" ? .dealer : .staff
    }
}
