import Messages

public typealias OrderSource = Xsc_Orders_V1_Source

/// Which price a channel must charge (DOMAIN.md "Pricing").
enum PriceRule: Equatable {
    /// HQ's guided maximum: malls never undercut the traditional channels.
    case guidedMaximum
    /// The delivery region's local list.
    case regionList
}

extension OrderSource {
    static let known: [OrderSource] = [.`self`, .mall, .groupbuyPlatform, .alliance, .phone, .sms]

    var storedName: String {
        switch self {
        case .`self`: "self"
        case .mall: "mall"
        case .groupbuyPlatform: "groupbuy_platform"
        case .alliance: "alliance"
        case .phone: "phone"
        case .sms: "sms"
        case .unspecified, .unrecognized: ""
        }
    }

    init(storedName: String) {
        self = Self.known.first { $0.storedName == storedName } ?? .unspecified
    }

    var priceRule: PriceRule { self == .mall ? .guidedMaximum : .regionList }
}
