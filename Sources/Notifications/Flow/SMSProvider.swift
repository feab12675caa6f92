import DomainKit
/// One SMS on its way to a provider.
public struct OutgoingSMS: Sendable, Equatable {
    /// Our message id: providers that dedupe on a client reference get it, so a retry after
    /// an ambiguous failure (timeout after the provider accepted) does not reach the phone twice.
    public var messageID: String
    public var phone: MainlandPhone
    public var text: String
    public var segments: Int
    public var regionCode: String
    /// 1 on the first attempt.
    public var attempt: Int
}

/// Where SMS go. `send` returns the provider's id for the message (receipts quote it).
public protocol SMSProvider: Sendable {
    var name: String { get }
    func send(_ sms: OutgoingSMS) async throws(SMSProviderError) -> String
}

public enum SMSProviderError: Error, Equatable, CustomStringConvertible {
    /// Worth retrying (timeout, connection refused, 5xx, 429).
    case transient(String)
    /// Retrying cannot help (the provider refused this message: bad number, blocked content).
    case permanent(String)

    public var description: String {
        switch self {
        case .transient(let reason): return "transient: \(reason)"
        case .permanent(let reason): return "permanent: \(reason)"
        }
    }
}
