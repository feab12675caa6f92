import DomainKit
import Foundation
import XCTest

final class MoneyAndCalendarTests: XCTestCase {
    func testShareRoundsHalfAwayFromZero() {
        XCTAssertEqual(Fen.share(of: 1001, basisPoints: 350), 35)      // 35.035
        XCTAssertEqual(Fen.share(of: 100, basisPoints: 50), 1)         // 0.5 -> 1
        XCTAssertEqual(Fen.share(of: 100, basisPoints: 49), 0)         // 0.49 -> 0
        XCTAssertEqual(Fen.share(of: -100, basisPoints: 50), -1)       // -0.5 -> -1
        XCTAssertEqual(Fen.share(of: -1001, basisPoints: 350), -35)
        XCTAssertEqual(Fen.share(of: 12_345, basisPoints: 10_000), 12_345)
        XCTAssertEqual(Fen.share(of: 0, basisPoints: 999), 0)
    }

    func testSumReportsOverflow() {
        XCTAssertEqual(Fen.sum([1, 2, -3]), 0)
        XCTAssertNil(Fen.sum([Int64.max, 1]))
    }

    func testYuanText() {
        XCTAssertEqual(Fen.yuanText(123_450), "¥1,234.50")
        XCTAssertEqual(Fen.yuanText(-1200), "-¥12.00")
        XCTAssertEqual(Fen.yuanText(5), "¥0.05")
        XCTAssertEqual(Fen.yuanText(100_000_000), "¥1,000,000.00")
        XCTAssertEqual(Fen.yuanText(99_999), "¥999.99")
        XCTAssertEqual(Fen.yuanText(10_000_000), "¥100,000.00")
        XCTAssertEqual(Fen.yuanText(Int64.min), "-¥92,233,720,368,547,758.08")
        var bytes = Array("合计".utf8)
        Fen.appendYuanText(1_234_567, to: &bytes)
        XCTAssertEqual(String(decoding: bytes, as: UTF8.self), "合计¥12,345.67")
        XCTAssertNotNil(Fen.problem(with: -1))
        XCTAssertNotNil(Fen.problem(with: 0))
        XCTAssertNil(Fen.problem(with: 0, allowZero: true))
        XCTAssertNotNil(Fen.problem(with: Fen.maxAmount + 1))
    }

    /// Sunday 2026-12-06 23:59:59.999 in Shanghai is 15:59:59.999 UTC; Monday 00:00 there is
    /// 16:00 UTC: the two instants one millisecond apart fall in different weeks.
    func testWeekBoundaryIsMondayMidnightInTheOrganisationsZone() throws {
        let shanghai = try XCTUnwrap(BusinessCalendar(timeZoneIdentifier: "Asia/Shanghai"))
        let sundayLast = millis("2026-12-06T15:59:59.999Z")
        let mondayFirst = millis("2026-12-06T16:00:00.000Z")
        let before = shanghai.week(containing: sundayLast)
        let after = shanghai.week(containing: mondayFirst)
        XCTAssertEqual(before.name, "2026-W49")
        XCTAssertEqual(after.name, "2026-W50")
        XCTAssertEqual(after.startMillis, mondayFirst)
        XCTAssertEqual(before.endMillis, mondayFirst)
        XCTAssertEqual(before.endMillis - before.startMillis, 7 * 24 * 3600 * 1000)
        XCTAssertEqual(shanghai.week(before: after), before)
        XCTAssertEqual(shanghai.week(after: before), after)
        XCTAssertEqual(shanghai.week(named: "2026-W50"), after)
        XCTAssertNil(shanghai.week(named: "2026-W54"))
        XCTAssertNil(shanghai.week(named: "2026-50"))
        // In UTC the same Monday-16:00Z instant is still Monday of the same UTC week.
        let utc = try XCTUnwrap(BusinessCalendar(timeZoneIdentifier: "UTC"))
        XCTAssertEqual(utc.week(containing: sundayLast).name, "2026-W49")
        XCTAssertNil(BusinessCalendar(timeZoneIdentifier: "Mars/Olympus"))
    }

    /// The operations board's "today": midnight to midnight in the organisation's zone, and a
    /// day of 23 hours where the clocks go forward (by calendar, not by adding 24 hours).
    func testTheDayIsTheOrganisationsMidnightToMidnight() throws {
        let shanghai = try XCTUnwrap(BusinessCalendar(timeZoneIdentifier: "Asia/Shanghai"))
        let day = shanghai.day(containing: millis("2026-12-06T15:59:59.999Z"))
        XCTAssertEqual(day.startMillis, millis("2026-12-05T16:00:00.000Z"))
        XCTAssertEqual(day.endMillis, millis("2026-12-06T16:00:00.000Z"))
        XCTAssertEqual(shanghai.day(containing: day.endMillis).startMillis, day.endMillis)
        let berlin = try XCTUnwrap(BusinessCalendar(timeZoneIdentifier: "Europe/Berlin"))
        let spring = berlin.day(containing: millis("2026-03-29T12:00:00.000Z"))
        XCTAssertEqual(spring.endMillis - spring.startMillis, 23 * 3600 * 1000)
    }

    func testWeekAcrossTheYearEnd() throws {
        let shanghai = try XCTUnwrap(BusinessCalendar(timeZoneIdentifier: "Asia/Shanghai"))
        // Thursday 2027-01-01: its week is 2026-W53 (Monday 2026-12-28).
        let week = shanghai.week(containing: millis("2027-01-01T04:00:00Z"))
        XCTAssertEqual(week.name, "2026-W53")
        XCTAssertEqual(week.startMillis, millis("2026-12-27T16:00:00Z"))
    }

    func testQuartersAndMonths() throws {
        let shanghai = try XCTUnwrap(BusinessCalendar(timeZoneIdentifier: "Asia/Shanghai"))
        XCTAssertEqual(shanghai.quarter(of: millis("2026-09-30T16:00:00Z")), "2026Q4")
        XCTAssertEqual(shanghai.month(of: millis("2026-09-30T16:00:00Z")), "2026-10")
        let range = try XCTUnwrap(shanghai.quarterRange("2026Q4"))
        XCTAssertEqual(range.startMillis, millis("2026-09-30T16:00:00Z"))
        XCTAssertEqual(range.endMillis, millis("2026-12-31T16:00:00Z"))
        XCTAssertTrue(BusinessCalendar.isQuarter("2025Q1"))
        XCTAssertFalse(BusinessCalendar.isQuarter("2025Q5"))
    }

    func testClockTextIsTheReadersWallClock() {
        // 2026-12-07 23:05 UTC is 07:05 the next morning in Shanghai: an SMS must say 12-08.
        XCTAssertEqual(BusinessCalendar.organisation("Asia/Shanghai").clockText(millis("2026-12-07T23:05:00Z")), "12-08 07:05")
        XCTAssertEqual(BusinessCalendar.organisation("UTC").clockText(millis("2026-01-02T03:04:00Z")), "01-02 03:04")
        // An unknown zone name falls back to the organisation's default, not to UTC.
        XCTAssertEqual(BusinessCalendar.organisation("Mars/Olympus").clockText(millis("2026-12-07T23:05:00Z")), "12-08 07:05")
    }

    private func millis(_ iso: String) -> Int64 {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        let date = formatter.date(from: iso) ?? ISO8601DateFormatter().date(from: iso)!
        return Int64((date.timeIntervalSince1970 * 1000).rounded())
    }
}
