import Foundation
import ServiceKit

/// Customer-facing SMS are not sent at night in the organisation's time zone: one that falls
/// due inside the quiet window waits until the window ends (it is deferred, never dropped).
/// Staff SLA messages ignore the window: the five-minute rule runs around the clock.
public struct QuietHours: Sendable, Equatable {
    /// Local wall-clock minutes after midnight; the window may wrap past midnight.
    public var startMinute: Int
    public var endMinute: Int
    public var timeZone: TimeZone

    public init(startMinute: Int = 21 * 60, endMinute: Int = 8 * 60,
                timeZone: TimeZone = TimeZone(identifier: "Asia/Shanghai") ?? .gmt) {
        self.startMinute = startMinute
        self.endMinute = endMinute
        self.timeZone = timeZone
    }

    /// No quiet window at all.
    public static let none = QuietHours(startMinute: 0, endMinute: 0)

    /// When a message due at `millis` may go: nil when it may go now, else the end of the window.
    public func deferral(atMillis millis: Int64) -> Int64? {
        guard startMinute != endMinute else { return nil }
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        let date = Date(timeIntervalSince1970: Double(millis) / 1000)
        let parts = calendar.dateComponents([.hour, .minute], from: date)
        let minute = (parts.hour ?? 0) * 60 + (parts.minute ?? 0)
        let inside = startMinute < endMinute
            ? (minute >= startMinute && minute < endMinute)
            : (minute >= startMinute || minute < endMinute)
        guard inside else { return nil }
        // The window's end today, or tomorrow when we are before midnight in a wrapping window.
        let startOfDay = calendar.startOfDay(for: date)
        var end = calendar.date(byAdding: .minute, value: endMinute, to: startOfDay) ?? date
        if end <= date { end = calendar.date(byAdding: .day, value: 1, to: end) ?? date }
        return Int64((end.timeIntervalSince1970 * 1000).rounded())
    }

    /// Parses `HH:MM-HH:MM` (e.g. `21:00-08:00`); `off` disables the window.
    public static func parse(_ text: String, timeZone: TimeZone) -> QuietHours? {
        if text == "off" { return QuietHours(startMinute: 0, endMinute: 0, timeZone: timeZone) }
        let halves = text.split(separator: "-")
        guard halves.count == 2, let start = minutes(halves[0]), let end = minutes(halves[1]) else { return nil }
        return QuietHours(startMinute: start, endMinute: end, timeZone: timeZone)
    }

    private static func minutes(_ text: Substring) -> Int? {
        let parts = text.split(separator: ":")
        guard parts.count == 2, let hour = Int(parts[0]), let minute = Int(parts[1]),
              (0..<24).contains(hour), (0..<60).contains(minute) else { return nil }
        return hour * 60 + minute
    }
}

/// How many SMS one phone may receive in a sliding window; the excess waits for the window
/// to make room (deferred, never dropped), so a burst of escalations cannot flood a lead.
public struct RecipientRateLimit: Sendable, Equatable {
    public var maxMessages: Int
    public var window: Duration

    public init(maxMessages: Int = 5, window: Duration = .seconds(60)) {
        self.maxMessages = max(1, maxMessages)
        self.window = window
    }

    /// Given the dispatch times (ms) of this phone's messages inside the window ending at
    /// `now`, oldest first: nil when one more may go now, else when it may.
    public func nextSlot(recentDispatches: [Int64], now: Int64) -> Int64? {
        let windowMillis = window.wholeMilliseconds
        let inWindow = recentDispatches.filter { $0 > now - windowMillis }
        guard inWindow.count >= maxMessages else { return nil }
        // The slot frees when enough of the oldest dispatches have left the window.
        return inWindow[inWindow.count - maxMessages] + windowMillis
    }
}
