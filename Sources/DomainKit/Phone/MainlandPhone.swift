/// A mainland-China telephone number in one canonical form, the key by which customers,
/// accounts and SMS recipients are matched (DOMAIN.md: "validate phones as real mainland
/// numbers, normalise").
///
/// - mobile: 11 digits, `1[3-9]xxxxxxxxx` ("13812345678");
/// - landline: trunk `0`, area code and local number, digits only ("02388889999",
///   "075512345678"): area codes are `010`, `02x` (then 8 local digits) or `0` + three digits
///   (then 7 or 8 local digits); a local number never starts with 0 or 1.
///
/// People write numbers with `+86`/`0086`/`86`, full-width digits, spaces, dashes, dots and
/// brackets; `init?(_:)` accepts all of those and nothing else, so two spellings of one number
/// always compare equal.
public struct MainlandPhone: Sendable, Hashable, CustomStringConvertible {
    public enum Kind: Sendable, Hashable {
        case mobile
        case landline
    }

    /// Digits only, as described above.
    public let digits: String
    public let kind: Kind

    public init?(_ raw: String) {
        guard let parsed = PhoneParsing.parse(raw) else { return nil }
        digits = parsed.digits
        kind = parsed.kind
    }

    /// A mobile number only (SMS recipients, account phones).
    public init?(mobile raw: String) {
        guard let phone = MainlandPhone(raw), phone.kind == .mobile else { return nil }
        self = phone
    }

    /// The form for logs and for answers to anyone but the record's owner: `138****5678`,
    /// `023****9999`. Only the first three and last four digits are shown.
    public var masked: String {
        String(digits.prefix(3)) + "****" + String(digits.suffix(4))
    }

    /// Masked, so that interpolating a number into a log line cannot leak it.
    public var description: String { masked }

    /// The canonical digits of `raw`, or nil: for callers that store strings.
    public static func normalise(_ raw: String) -> String? {
        MainlandPhone(raw)?.digits
    }

    /// The canonical digits of `raw` when it is a mobile number, or nil.
    public static func normaliseMobile(_ raw: String) -> String? {
        MainlandPhone(mobile: raw)?.digits
    }

    /// Why `raw` is refused, worded for the person who typed it (nil when it is accepted).
    public static func problem(with raw: String, mobileOnly: Bool = false) -> String? {
        let shown = raw.count > 32 ? String(raw.prefix(32)) + "…" : raw
        if raw.trimmedForPeople.isEmpty { return "required: a mainland phone number" }
        guard let phone = MainlandPhone(raw) else {
            return mobileOnly
                ? "not a mainland mobile number (11 digits starting 13-19): \(shown)"
                : "not a mainland phone number (a mobile of 11 digits starting 13-19, or a landline with its area code such as 023-88889999): \(shown)"
        }
        if mobileOnly && phone.kind != .mobile {
            return "a mobile number is needed here (11 digits starting 13-19), not a landline: \(shown)"
        }
        return nil
    }
}
