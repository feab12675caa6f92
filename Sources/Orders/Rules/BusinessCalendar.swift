import Foundation

/// Quarters in the organisation's time zone (promotion advances are reimbursed per quarter).
struct BusinessCalendar: Sendable {
    let timeZone: String

    /// "2025Q4" for a moment in the organisation's zone (UTC when the zone is unknown, which
    /// configuration checking at start rules out).
    func quarter(of millis: Int64) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: timeZone) ?? TimeZone(secondsFromGMT: 0)!
        let date = Date(timeIntervalSince1970: Double(millis) / 1000)
        let parts = calendar.dateComponents([.year, .month], from: date)
        let quarter = ((parts.month ?? 1) - 1) / 3 + 1
        return "\(parts.year ?? 1970)Q\(quarter)"
    }

    /// Whether `text` names a quarter as `quarter(of:)` spells it.
    static func isQuarter(_ text: String) -> Bool {
        let bytes = Array(text.utf8)
        guard bytes.count == 6, bytes[4] == UInt8(ascii: "Q"), (UInt8(ascii: "1")...UInt8(ascii: "4")).contains(bytes[5]) else {
            return false
        }
        return bytes[0..<4].allSatisfy { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }
    }
}
