import Foundation

/// Business periods in the organisation's time zone (Asia/Shanghai by default;
/// ARCHITECTURE.md, "Time"): the settlement week Monday 00:00 to Sunday 24:00, months and
/// quarters. Times in and out are Unix milliseconds UTC. The one place that turns an instant
/// into a period, so orders' reports, settlements' statements and reimbursements agree.
public struct BusinessCalendar: Sendable {
    public let timeZone: TimeZone
    private let calendar: Calendar

    /// nil when `timeZoneIdentifier` names no zone (configuration refuses that at start).
    public init?(timeZoneIdentifier: String) {
        guard let zone = TimeZone(identifier: timeZoneIdentifier) else { return nil }
        self.init(timeZone: zone)
    }

    public init(timeZone: TimeZone) {
        self.timeZone = timeZone
        var calendar = Calendar(identifier: .iso8601)
        calendar.timeZone = timeZone
        calendar.firstWeekday = 2  // Monday
        calendar.minimumDaysInFirstWeek = 4
        self.calendar = calendar
    }

    /// The business week that contains `millis`.
    public func week(containing millis: Int64) -> BusinessWeek {
        let date = Self.date(millis)
        let start = calendar.dateInterval(of: .weekOfYear, for: date)!.start
        let parts = calendar.dateComponents([.yearForWeekOfYear, .weekOfYear], from: date)
        let end = calendar.date(byAdding: .day, value: 7, to: start)!
        return BusinessWeek(year: parts.yearForWeekOfYear!, week: parts.weekOfYear!,
                            startMillis: Self.millis(start), endMillis: Self.millis(end))
    }

    /// The week named "2026-W49" (ISO 8601 week numbering), or nil for a malformed name.
    public func week(named name: String) -> BusinessWeek? {
        let parts = name.split(separator: "-")
        guard parts.count == 2, parts[1].hasPrefix("W"), parts[0].count == 4, let year = Int(parts[0]),
              let number = Int(parts[1].dropFirst()), (1...53).contains(number), (1970...9999).contains(year) else { return nil }
        var components = DateComponents()
        components.yearForWeekOfYear = year
        components.weekOfYear = number
        components.weekday = 2
        components.hour = 0
        guard let start = calendar.date(from: components) else { return nil }
        let week = self.week(containing: Self.millis(start))
        return week.name == name ? week : nil
    }

    /// The week before `week`.
    public func week(before week: BusinessWeek) -> BusinessWeek {
        self.week(containing: week.startMillis - 1)
    }

    /// The week after `week`.
    public func week(after week: BusinessWeek) -> BusinessWeek {
        self.week(containing: week.endMillis)
    }

    /// "2025-11" for a moment.
    public func month(of millis: Int64) -> String {
        let parts = calendar.dateComponents([.year, .month], from: Self.date(millis))
        let month = parts.month ?? 1
        return "\(parts.year ?? 1970)-\(month < 10 ? "0" : "")\(month)"
    }

    /// "2025Q4" for a moment (promotion advances are reimbursed per quarter).
    public func quarter(of millis: Int64) -> String {
        let parts = calendar.dateComponents([.year, .month], from: Self.date(millis))
        return "\(parts.year ?? 1970)Q\(((parts.month ?? 1) - 1) / 3 + 1)"
    }

    /// Start (inclusive) and end (exclusive) of a quarter named as `quarter(of:)` spells it.
    public func quarterRange(_ name: String) -> (startMillis: Int64, endMillis: Int64)? {
        guard Self.isQuarter(name), let year = Int(name.prefix(4)), let number = Int(name.suffix(1)) else { return nil }
        var components = DateComponents()
        components.year = year
        components.month = (number - 1) * 3 + 1
        components.day = 1
        guard let start = calendar.date(from: components),
              let end = calendar.date(byAdding: .month, value: 3, to: start) else { return nil }
        return (Self.millis(start), Self.millis(end))
    }

    /// Whether `text` names a quarter as `quarter(of:)` spells it ("2025Q4").
    public static func isQuarter(_ text: String) -> Bool {
        let bytes = Array(text.utf8)
        guard bytes.count == 6, bytes[4] == UInt8(ascii: "Q"), (UInt8(ascii: "1")...UInt8(ascii: "4")).contains(bytes[5]) else {
            return false
        }
        return bytes[0..<4].allSatisfy { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }
    }

    static func date(_ millis: Int64) -> Date { Date(timeIntervalSince1970: Double(millis) / 1000) }
    static func millis(_ date: Date) -> Int64 { Int64((date.timeIntervalSince1970 * 1000).rounded()) }
}

/// One settlement week: Monday 00:00 (inclusive) to the next Monday 00:00 (exclusive) in the
/// organisation's zone, as Unix milliseconds UTC.
public struct BusinessWeek: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// ISO week-numbering year and week (a week belongs to the year of its Thursday).
    public let year: Int
    public let week: Int
    public let startMillis: Int64
    public let endMillis: Int64

    /// "2026-W49".
    public var name: String { "\(year)-W\(week < 10 ? "0" : "")\(week)" }
    public var description: String { name }

    public func contains(_ millis: Int64) -> Bool { millis >= startMillis && millis < endMillis }

    public static func < (lhs: BusinessWeek, rhs: BusinessWeek) -> Bool { lhs.startMillis < rhs.startMillis }
}
