import Foundation

extension BusinessCalendar {
    /// The organisation's calendar for a configured zone name; Asia/Shanghai when the name is
    /// unknown (configuration refuses such a name at start, so this is only a last resort).
    public static func organisation(_ timeZoneIdentifier: String) -> BusinessCalendar {
        BusinessCalendar(timeZoneIdentifier: timeZoneIdentifier)
            ?? BusinessCalendar(timeZone: TimeZone(identifier: "Asia/Shanghai") ?? .gmt)
    }

    /// "12-07 14:30": an instant as an SMS shows a deadline or an appointment, in the
    /// organisation's zone (the reader's wall clock, not UTC). Short because SMS bill by length.
    public func clockText(_ millis: Int64) -> String {
        var gregorian = Calendar(identifier: .gregorian)
        gregorian.timeZone = timeZone
        let parts = gregorian.dateComponents([.month, .day, .hour, .minute], from: Self.date(millis))
        func two(_ value: Int?) -> String { let v = value ?? 0; return v < 10 ? "0\(v)" : "\(v)" }
        return "\(two(parts.month))-\(two(parts.day)) \(two(parts.hour)):\(two(parts.minute))"
    }
}
