import XCTest
@testable import ServiceKit

final class LoggerTests: XCTestCase {
    private func decode(_ line: String) throws -> [String: Any] {
        let object = try JSONSerialization.jsonObject(with: Data(line.utf8))
        return try XCTUnwrap(object as? [String: Any])
    }

    func testLinesAreJSONWithTheStandardMembers() throws {
        let sink = MemoryLogSink()
        // 2024-02-29T23:59:58.007Z
        let logger = Logger(service: "orders", sink: sink, clock: { 1_709_251_198_007 })
        logger.info("order \"created\"\n", ["order_id": "o-1", "amount_fen": 1250, "paid": false, "ratio": 0.5])
        XCTAssertEqual(sink.lines.count, 1)
        let object = try decode(sink.lines[0])
        XCTAssertEqual(object["ts"] as? String, "2024-02-29T23:59:58.007Z")
        XCTAssertEqual(object["level"] as? String, "info")
        XCTAssertEqual(object["service"] as? String, "orders")
        XCTAssertEqual(object["msg"] as? String, "order \"created\"\n")
        XCTAssertEqual(object["order_id"] as? String, "o-1")
        XCTAssertEqual(object["amount_fen"] as? Int, 1250)
        XCTAssertEqual(object["paid"] as? Bool, false)
        XCTAssertEqual(object["ratio"] as? Double, 0.5)
        XCTAssertFalse(sink.lines[0].contains("\n"))
    }

    func testLevelFiltering() {
        let sink = MemoryLogSink()
        let logger = Logger(service: "orders", level: .warning, sink: sink)
        logger.debug("d")
        logger.info("i")
        logger.warning("w")
        logger.error("e")
        XCTAssertEqual(sink.lines.count, 2)
        XCTAssertTrue(sink.lines[0].contains("\"level\":\"warning\""))
        XCTAssertTrue(sink.lines[1].contains("\"level\":\"error\""))
    }

    func testPhoneNumbersAreMaskedInMessagesAndFields() throws {
        let sink = MemoryLogSink()
        let logger = Logger(service: "customers", sink: sink).with(["caller": "+8613812345678"])
        logger.info("sms to 13912345678 sent", ["to": "+86 139-1234-5678", "raw": 15012345678, "order": "o-20240101"])
        let line = sink.lines[0]
        for full in ["13812345678", "13912345678", "15012345678", "1234-5678"] {
            XCTAssertFalse(line.contains(full), "\(full) leaked in \(line)")
        }
        let object = try decode(line)
        XCTAssertEqual(object["msg"] as? String, "sms to 139****5678 sent")
        XCTAssertEqual(object["caller"] as? String, "138****5678")
        XCTAssertEqual(object["to"] as? String, "139****5678")
        XCTAssertEqual(object["raw"] as? String, "150****5678")
        XCTAssertEqual(object["order"] as? String, "o-20240101")
    }

    func testReservedNamesDoNotOverwriteStandardMembers() throws {
        let sink = MemoryLogSink()
        Logger(service: "orders", sink: sink).info("hello", ["service": "spoofed", "level": "debug"])
        let object = try decode(sink.lines[0])
        XCTAssertEqual(object["service"] as? String, "orders")
        XCTAssertEqual(object["level"] as? String, "info")
        XCTAssertEqual(object["field.service"] as? String, "spoofed")
    }

    func testControlCharactersAreEscaped() throws {
        let sink = MemoryLogSink()
        Logger(service: "orders", sink: sink).info("bell\u{07} tab\t nul\u{00} 你好")
        XCTAssertTrue(sink.lines[0].contains("\\u0007"))
        XCTAssertEqual(try decode(sink.lines[0])["msg"] as? String, "bell\u{07} tab\t nul\u{00} 你好")
    }
}

final class PhoneMaskingTests: XCTestCase {
    func testMasksMainlandMobileNumbers() {
        XCTAssertEqual(PhoneMasking.mask("13812345678"), "138****5678")
        XCTAssertEqual(PhoneMasking.mask("+8613812345678"), "138****5678")
        XCTAssertEqual(PhoneMasking.mask("8613812345678"), "138****5678")
        XCTAssertEqual(PhoneMasking.mask("call 138 1234 5678 or 199-0000-1111."), "call 138****5678 or 199****1111.")
        XCTAssertEqual(PhoneMasking.mask("tel:+86-18600001111,"), "tel:186****1111,")
        XCTAssertEqual(PhoneMasking.mask("手机13812345678号"), "手机138****5678号")
    }

    func testLeavesOtherNumbersAlone() {
        for text in ["12812345678", "1381234567", "138123456789", "order 913812345678", "amount 10000000000",
                     "id=20240101123456789", "2024-01-01 12:00", ""] {
            XCTAssertEqual(PhoneMasking.mask(text), text)
        }
    }

    func testTimestampFormatting() {
        XCTAssertEqual(UTCTimestamp.format(unixMilliseconds: 0), "1970-01-01T00:00:00.000Z")
        XCTAssertEqual(UTCTimestamp.format(unixMilliseconds: 951_782_400_000), "2000-02-29T00:00:00.000Z")
        XCTAssertEqual(UTCTimestamp.format(unixMilliseconds: -1), "1969-12-31T23:59:59.999Z")
        XCTAssertEqual(UTCTimestamp.format(unixMilliseconds: 4_102_444_799_999), "2099-12-31T23:59:59.999Z")
    }
}
