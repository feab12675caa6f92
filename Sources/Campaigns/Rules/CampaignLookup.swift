import DomainKit

/// The shapes of the campaigns service's lookup fields (LookupField in DomainKit), checked by
/// the handler before anything is read. Campaign ids are UUIDs (`.id`); pickup point ids, SKUs
/// and accounts are keys the creator or the directory chose (CampaignValidation.checkID gives
/// them the same shape at creation, so every stored key can be looked up again).
enum CampaignLookup {
    /// The 8-character share code (Codes.shareCode), with room for a code format grown later.
    static let shareCode: LookupField.Shape = .code(maxLength: 16)
    /// The 8-digit pickup code; the flow checks the digits and the length exactly.
    static let pickupCode: LookupField.Shape = .code(maxLength: 16)
    static let pointID: LookupField.Shape = .key
}
