import Foundation

extension BusinessCalendar {
    /// The organisation day that contains `millis`: its midnight (inclusive) to the next midnight
    /// (exclusive) in the organisation's zone, as Unix ms UTC. "Today" on the operations board
    /// (the violations of the day) is the day of the organisation's people, not UTC's.
    public func day(containing millis: Int64) -> (startMillis: Int64, endMillis: Int64) {
        var gregorian = Calendar(identifier: .gregorian)
        gregorian.timeZone = timeZone
        let start = gregorian.startOfDay(for: Self.date(millis))
        // By calendar arithmetic, not + 24 h: a zone with daylight saving has 23- and 25-hour days.
        let end = gregorian.date(byAdding: .day, value: 1, to: start) ?? start.addingTimeInterval(86_400)
        return (Self.millis(start), Self.millis(end))
    }
}
