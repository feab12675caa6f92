import Messages

public typealias OrderState = Xsc_Orders_V1_OrderState

/// The order flow of DOMAIN.md: received → acknowledged → assigned → accepted → delivered →
/// visited, cancelled before delivery, refunded only after the return visit. A district lead
/// who receives an assignment acknowledges it (assigned → acknowledged) and assigns in turn.
enum OrderAction: String, Sendable, CaseIterable {
    case acknowledge, assign, accept, markDelivered = "mark_delivered", recordReturnVisit = "record_return_visit", cancel, refund

    /// The states the action may start from.
    var allowedFrom: Set<OrderState> {
        switch self {
        case .acknowledge: [.received, .assigned]
        case .assign: [.acknowledged]
        case .accept: [.assigned]
        case .markDelivered: [.accepted]
        case .recordReturnVisit: [.delivered]
        case .cancel: [.received, .acknowledged, .assigned, .accepted]
        case .refund: [.visited]
        }
    }

    var target: OrderState {
        switch self {
        case .acknowledge: .acknowledged
        case .assign: .assigned
        case .accept: .accepted
        case .markDelivered: .delivered
        case .recordReturnVisit: .visited
        case .cancel: .cancelled
        case .refund: .refunded
        }
    }

    /// The event kind recorded for the action.
    var eventKind: String {
        switch self {
        case .acknowledge: "acknowledged"
        case .assign: "assigned"
        case .accept: "accepted"
        case .markDelivered: "delivered"
        case .recordReturnVisit: "visited"
        case .cancel: "cancelled"
        case .refund: "refunded"
        }
    }
}

/// Stored states are lower-case words, so the table reads well in psql.
extension OrderState {
    var storedName: String {
        switch self {
        case .received: "received"
        case .acknowledged: "acknowledged"
        case .assigned: "assigned"
        case .accepted: "accepted"
        case .delivered: "delivered"
        case .visited: "visited"
        case .cancelled: "cancelled"
        case .refunded: "refunded"
        case .unspecified, .unrecognized: ""
        }
    }

    init(storedName: String) {
        self = [OrderState.received, .acknowledged, .assigned, .accepted, .delivered, .visited, .cancelled, .refunded]
            .first { $0.storedName == storedName } ?? .unspecified
    }
}
