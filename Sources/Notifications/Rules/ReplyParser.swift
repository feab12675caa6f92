import DomainKit
/// Reads an inbound SMS as a command. People answer an order prompt with `1`, `收到`,
/// `已收到订单` (and small variations: full-width digits, trailing punctuation, `收到了`),
/// or with the order's short code when they have several open prompts.
public enum ReplyCommand: Sendable, Equatable {
    /// "I received it": applies to the single open prompt of the sender.
    case acknowledge
    /// The short code of a specific order, upper-cased.
    case acknowledgeCode(String)
    case notUnderstood
}

public enum ReplyParser {
    static let acknowledgements: Set<String> = ["1", "收到", "收到了", "已收到", "已收到订单", "收到订单", "确认", "好", "ok"]

    public static func parse(_ text: String) -> ReplyCommand {
        let normalized = normalize(text)
        if normalized.isEmpty { return .notUnderstood }
        if acknowledgements.contains(normalized.lowercased()) { return .acknowledge }
        if isShortCode(normalized) { return .acknowledgeCode(normalized.uppercased()) }
        // "1 A7K2", "收到A7K2", "A7K2": a code, with or without an acknowledgement word.
        var rest = normalized
        for word in acknowledgements.sorted(by: { $0.count > $1.count }) where rest.lowercased().hasPrefix(word) {
            rest = String(rest.dropFirst(word.count))
            break
        }
        rest = rest.trimmedForPeople
        if isShortCode(rest) { return .acknowledgeCode(rest.uppercased()) }
        return .notUnderstood
    }

    /// Short codes are 4 to 8 ASCII letters and digits with at least one letter (so `1` alone
    /// stays an acknowledgement and phone numbers are not codes).
    static func isShortCode(_ text: String) -> Bool {
        (4...8).contains(text.count)
            && text.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber) }
            && text.contains(where: { $0.isLetter })
    }

    /// Full-width ASCII to half-width, surrounding whitespace and punctuation dropped.
    static func normalize(_ text: String) -> String {
        var scalars = String.UnicodeScalarView()
        for scalar in text.unicodeScalars {
            if (0xFF01...0xFF5E).contains(scalar.value), let half = Unicode.Scalar(scalar.value - 0xFEE0) {
                scalars.append(half)
            } else if scalar.value == 0x3000 {
                scalars.append(" ")
            } else {
                scalars.append(scalar)
            }
        }
        let trimmable: (Unicode.Scalar) -> Bool = {
            $0.properties.isWhitespace || $0.properties.generalCategory.isPunctuation
        }
        var view = Substring(String(scalars)).unicodeScalars
        while let first = view.first, trimmable(first) { view = view.dropFirst() }
        while let last = view.last, trimmable(last) { view = view.dropLast() }
        return String(String.UnicodeScalarView(view))
    }
}

extension Unicode.GeneralCategory {
    var isPunctuation: Bool {
        switch self {
        case .connectorPunctuation, .dashPunctuation, .openPunctuation, .closePunctuation,
             .initialPunctuation, .finalPunctuation, .otherPunctuation:
            return true
        default:
            return false
        }
    }
}
