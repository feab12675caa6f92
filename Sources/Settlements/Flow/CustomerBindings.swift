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

/// When no customers service is configured: no answer, so an order without a referrer code
/// waits in orders' outbox (retried) instead of losing its reward. In production
/// `CustomersServiceBindings` asks the customers service.
public struct AwaitingCustomersService: CustomerBindings {
    public init() {}

    public func binding(customerPhone: String, regionID: String) async throws -> CustomerBinding {
        throw RPCError(code: .unavailable, message: "the customers service cannot answer customer bindings yet; the event is retried")
    }
}
