import XSCTestSupport
import Foundation
import Messages
@testable import Notifications
import XCTest

final class TemplateTests: XCTestCase {
    func testOrderPromptRendersWithTheRegionSignature() throws {
        let rendered = try TemplateRenderer.render(templateName: "order_new_lead",
                                                   parameters: ["code": "A7K2", "summary": "五粮液2箱，渝中区"],
                                                   regionCode: "cq").get()
        XCTAssertEqual(rendered.text, "【XSC重庆】新订单A7K2：五粮液2箱，渝中区，请5分钟内回复1确认。")
        XCTAssertEqual(rendered.segments.encoding, .ucs2)
        XCTAssertEqual(rendered.segments.segments, 1)
        let unknownRegion = try TemplateRenderer.render(templateName: "team_notice", parameters: ["title": "周会"],
                                                        regionCode: "xj").get()
        XCTAssertTrue(unknownRegion.text.hasPrefix("【XSC】"), unknownRegion.text)
    }

    func testEveryProblemIsReportedPerField() {
        guard case .failure(let violations) = TemplateRenderer.render(
            templateName: "sla_escalation", parameters: ["code": "A7K2", "stage": "确认\n伪造", "extra": "x", "minutes": ""],
            regionCode: "cq") else { return XCTFail("must not render") }
        XCTAssertEqual(Set(violations.items.map(\.field)),
                       ["params[assignee]", "params[stage]", "params[extra]", "params[minutes]"])
        guard case .failure(let unknown) = TemplateRenderer.render(templateName: "nope", parameters: [:], regionCode: "cq") else {
            return XCTFail("unknown template must fail")
        }
        XCTAssertEqual(unknown.items.map(\.field), ["template"])
    }

    func testValuesCannotInjectPlaceholders() throws {
        XCTAssertEqual(TemplateRenderer.substitute("a{x}b{y}", ["x": "{y}", "y": "Y"]), "a{y}bY")
        guard case .failure = TemplateRenderer.render(templateName: "team_notice", parameters: ["title": "{sig}"],
                                                      regionCode: "cq") else { return XCTFail("braces refused") }
    }

    func testLongTemplatesAreCountedInParts() throws {
        let summary = String(repeating: "酒", count: 60)
        let rendered = try TemplateRenderer.render(templateName: "order_new_lead", parameters: ["code": "A7K2", "summary": summary],
                                                   regionCode: "cq").get()
        XCTAssertEqual(rendered.segments.units, rendered.text.utf16.count)
        XCTAssertEqual(rendered.segments.segments, 2)
    }
}

final class ReplyParserTests: XCTestCase {
    func testAcknowledgementsInTheirUsualForms() {
        for text in ["1", " 1 ", "１", "收到", "收到。", "已收到订单", "已收到订单！", "收到了", "OK"] {
            XCTAssertEqual(ReplyParser.parse(text), .acknowledge, text)
        }
    }

    func testShortCodes() {
        XCTAssertEqual(ReplyParser.parse("a7k2"), .acknowledgeCode("A7K2"))
        XCTAssertEqual(ReplyParser.parse("1 A7K2"), .acknowledgeCode("A7K2"))
        XCTAssertEqual(ReplyParser.parse("收到A7K2"), .acknowledgeCode("A7K2"))
        XCTAssertEqual(ReplyParser.parse("1B2C"), .acknowledgeCode("1B2C"), "a code may start with 1")
    }

    func testEverythingElseIsNotUnderstood() {
        for text in ["", "2", "11", "不要", "13812345678", "1234", "明天再说吧谢谢"] {
            XCTAssertEqual(ReplyParser.parse(text), .notUnderstood, text)
        }
    }
}

final class DeliveryPolicyTests: XCTestCase {
    let shanghai = TimeZone(identifier: "Asia/Shanghai")!

    /// Unix ms of a Shanghai wall-clock time on 2026-11-16.
    func at(_ hour: Int, _ minute: Int = 0, day: Int = 16) -> Int64 {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = shanghai
        let date = calendar.date(from: DateComponents(year: 2026, month: 11, day: day, hour: hour, minute: minute))!
        return Int64(date.timeIntervalSince1970 * 1000)
    }

    func testQuietHoursDeferToTheEndOfTheWindow() {
        let quiet = QuietHours(startMinute: 21 * 60, endMinute: 8 * 60, timeZone: shanghai)
        XCTAssertNil(quiet.deferral(atMillis: at(10)))
        XCTAssertNil(quiet.deferral(atMillis: at(20, 59)))
        XCTAssertEqual(quiet.deferral(atMillis: at(21)), at(8, day: 17))
        XCTAssertEqual(quiet.deferral(atMillis: at(23, 30)), at(8, day: 17))
        XCTAssertEqual(quiet.deferral(atMillis: at(3)), at(8))
        XCTAssertNil(quiet.deferral(atMillis: at(8)))
        XCTAssertNil(QuietHours.parse("off", timeZone: shanghai)?.deferral(atMillis: at(23)))
        XCTAssertEqual(QuietHours.parse("22:30-07:15", timeZone: shanghai)?.deferral(atMillis: at(23)), at(7, 15, day: 17))
        XCTAssertNil(QuietHours.parse("25:00-07:00", timeZone: shanghai))
    }

    func testRateLimitDefersTheExcessUntilTheWindowMakesRoom() {
        let limit = RecipientRateLimit(maxMessages: 3, window: .seconds(60))
        XCTAssertNil(limit.nextSlot(recentDispatches: [1_000, 2_000], now: 10_000))
        XCTAssertEqual(limit.nextSlot(recentDispatches: [1_000, 2_000, 3_000], now: 10_000), 61_000)
        XCTAssertEqual(limit.nextSlot(recentDispatches: [1_000, 2_000, 3_000, 4_000], now: 10_000), 62_000)
        XCTAssertNil(limit.nextSlot(recentDispatches: [1_000, 2_000, 3_000], now: 61_001), "the oldest left the window")
    }

    func testSettingsReportEveryProblemAtOnce() {
        guard case .failure(let error) = NotificationsSettings.load(environment: [
            "XSC_SMS_PROVIDER": "http", "XSC_SMS_GATEWAY_URL": "sms.example.com/send",
            "XSC_SMS_RATE_LIMIT": "lots", "XSC_SMS_QUIET_HOURS": "night",
        ], timeZoneIdentifier: "Asia/Shanghai") else { return XCTFail("must fail") }
        XCTAssertEqual(error.problems.count, 5, error.description)
        guard case .success(let settings) = NotificationsSettings.load(environment: [
            "XSC_SMS_PROVIDER": "http", "XSC_SMS_GATEWAY_URL": "http://127.0.0.1:8088/v1/sms", "XSC_SMS_GATEWAY_KEY": "k",
            "XSC_SMS_GATEWAY_SECRET": "s", "XSC_SMS_RATE_LIMIT": "2/30s",
        ], timeZoneIdentifier: "Asia/Shanghai") else { return XCTFail("must load") }
        XCTAssertEqual(settings.provider, .httpGateway(.init(host: "127.0.0.1", port: 8088, path: "/v1/sms", apiKey: "k", secret: "s")))
        XCTAssertEqual(settings.policy.rateLimit, RecipientRateLimit(maxMessages: 2, window: .seconds(30)))
        // The claim lease (XSC_CLAIM_LEASE_MS) must outlast one send (5 s by default).
        XCTAssertEqual(try settings.policy(claimLease: .seconds(6)).lease, .seconds(6))
        XCTAssertThrowsError(try settings.policy(claimLease: .seconds(5))) { error in
            XCTAssertTrue("\(error)".contains("XSC_CLAIM_LEASE_MS (5000 ms) must be longer than XSC_SMS_GATEWAY_TIMEOUT_MS"), "\(error)")
        }
    }

    func testGatewaySignatureIsHMACSHA256OfTimestampAndBody() {
        // RFC 4231-style check against an independently computed value (python hmac).
        XCTAssertEqual(HTTPGatewayProvider.signature(secret: "key", timestamp: "1700000000000", body: Array("{}".utf8)),
                       "11455b41715a986aa9c92d44e935c14e4fb49f57a67aebac79868e998ff6561e")
    }
}

/// A Send is bounded before anything else reads it: a megabyte template name or parameter is
/// INVALID_ARGUMENT at once (no hashing, rendering or echo of it in the refusal).
final class SendBoundsTests: XCTestCase {
    func testOversizedFieldsAreRefusedBeforeRendering() throws {
        var request = Xsc_Notifications_V1_SendRequest()
        request.template = String(repeating: "A", count: 1 << 20)
        request.params = ["code": String(repeating: "订", count: 1 << 18)]
        request.regionCode = "cq"
        request.idempotencyKey = "k"
        request.phone = "13800138000"
        guard case .failure(let violations) = ValidatedSend.validate(request, metadataKey: nil) else {
            return XCTFail("a 1 MB template must be refused")
        }
        XCTAssertEqual(violations.items.map(\.field), ["template", "params[code]"])
        XCTAssertLessThan(violations.error.message.utf8.count, 300, "the refusal does not echo the input")
    }
}
