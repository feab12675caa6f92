import Foundation

/// Times as people read and type them, in the organisation's time zone (Asia/Shanghai, or
/// XSC_TIME_ZONE); on the wire they are Unix milliseconds UTC.
struct TimeText {
    let zone: TimeZone
    let now: Date

    init(environment: [String: String], now: Date = Date()) {
        zone = environment["XSC_TIME_ZONE"].flatMap(TimeZone.init(identifier:)) ?? TimeZone(identifier: "Asia/Shanghai")!
        self.now = now
    }

    var nowMs: Int64 { Int64((now.timeIntervalSince1970 * 1000).rounded()) }

    /// "2026-12-07 11:21", or "" for 0 (not yet).
    func show(_ ms: Int64) -> String {
        guard ms != 0 else { return "" }
        return formatter("yyyy-MM-dd HH:mm").string(from: Date(timeIntervalSince1970: Double(ms) / 1000))
    }

    func day(_ ms: Int64) -> String {
        guard ms != 0 else { return "" }
        return formatter("yyyy-MM-dd").string(from: Date(timeIntervalSince1970: Double(ms) / 1000))
    }

    /// Accepts "2026-12-08 10:00", "2026-12-08T10:00", "2026-12-08" (midnight), "+90m", "+2h",
    /// "+3d" (from now), "now", or Unix milliseconds.
    func parse(_ text: String, option: String) throws(CLIError) -> Int64 {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        if trimmed == "now" { return nowMs }
        if trimmed.hasPrefix("+"), let unit = trimmed.last, let amount = Int64(trimmed.dropFirst().dropLast()), amount >= 0 {
            let seconds: Int64? = switch unit {
            case "s": 1
            case "m": 60
            case "h": 3600
            case "d": 86400
            default: nil
            }
            if let seconds { return nowMs + amount * seconds * 1000 }
        }
        if trimmed.count >= 12, trimmed.allSatisfy(\.isNumber), let ms = Int64(trimmed) { return ms }
        for pattern in ["yyyy-MM-dd HH:mm", "yyyy-MM-dd'T'HH:mm", "yyyy-MM-dd HH:mm:ss", "yyyy-MM-dd"] {
            if let date = formatter(pattern).date(from: trimmed) {
                return Int64((date.timeIntervalSince1970 * 1000).rounded())
            }
        }
        throw .usage("\(option) \(text): give a time as 2026-12-08 10:00 (\(zone.identifier)), 2026-12-08, +90m, +2h, +3d or now")
    }

    private func formatter(_ pattern: String) -> DateFormatter {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = zone
        formatter.dateFormat = pattern
        return formatter
    }
}

/// Money as people read it: fen shown as yuan with two decimals ("¥498.00", "-¥12.04").
enum MoneyText {
    static func yuan(_ fen: Int64) -> String {
        let sign = fen < 0 ? "-" : ""
        let magnitude = fen.magnitude
        let cents = magnitude % 100
        return "\(sign)¥\(magnitude / 100).\(cents < 10 ? "0" : "")\(cents)"
    }
}
