import RPC

/// The customers service's answer about a customer's permanent binding to an intermediary.
public enum CustomerBinding: Sendable, Equatable {
    case bound(accountID: String)
    case unbound
}

/// Who the customer of an order is bound to. The customers service answers this by RPC once
/// it exists; settlements only needs this one question, so it stays behind this protocol
/// (unit tests use a dictionary).
public protocol CustomerBindings: Sendable {
    /// Throws UNAVAILABLE when there is no answer (yet): the event is then redelivered by the
    /// sender's outbox, never dropped.
    func binding(customerPhone: String, regionID: String) async throws -> CustomerBinding
}

/// Production until customers ships its binding RPC: no answer yet, so an order without a
/// referrer code waits in orders' outbox (retried) instead of losing its reward. Once
/// `xsc.customers.v1.CustomerService/GetRewardee` is on main, its replacement calls that
/// (signed as this service's SYSTEM actor) and maps an empty `intermediary_account_id` to
/// `.unbound` and a failed call to UNAVAILABLE; `SettlementsService.flow` passes it in.
public struct AwaitingCustomersService: CustomerBindings {
    public init() {}

    public func binding(customerPhone: String, regionID: String) async throws -> CustomerBinding {
        throw RPCError(code: .unavailable, message: "the customers service cannot answer customer bindings yet; the event is retried")
    }
}
