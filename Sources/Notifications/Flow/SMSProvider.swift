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
    /// For a vendor (Alibaba Cloud, Tencent Cloud): the registered template code and signature,
    /// and the template's parameters in the template's order. Empty otherwise.
    public var vendorTemplateCode: String = ""
    public var signName: String = ""
    public var templateParams: [VendorParam] = []

    public init(messageID: String, phone: MainlandPhone, text: String, segments: Int, regionCode: String, attempt: Int,
                vendorTemplateCode: String = "", signName: String = "", templateParams: [VendorParam] = []) {
        self.messageID = messageID
        self.phone = phone
        self.text = text
        self.segments = segments
        self.regionCode = regionCode
        self.attempt = attempt
        self.vendorTemplateCode = vendorTemplateCode
        self.signName = signName
        self.templateParams = templateParams
    }
}

/// One template parameter for a vendor (name and value; order matters for Tencent).
public struct VendorParam: Sendable, Equatable {
    public var name: String
    public var value: String
    public init(name: String, value: String) {
        self.name = name
        self.value = value
    }
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
