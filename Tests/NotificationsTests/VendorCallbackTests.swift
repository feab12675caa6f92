@testable import Notifications
import XCTest

/// The vendors' callback bodies as they document them, read into our states.
final class VendorCallbackTests: XCTestCase {
    func testAliyunReportsAndReplies() throws {
        let report = #"[{"phone_number":"13900000003","send_time":"2017-01-01 00:00:00","report_time":"2017-01-01 00:00:08","success":false,"err_code":"MK:0012","err_msg":"用户停机","sms_size":"1","biz_id":"900^1","out_id":"m-1"}]"#
        let receipts = try VendorCallbacks.receipts(vendor: "aliyun", body: Array(report.utf8))
        XCTAssertEqual(receipts, [.init(providerMessageID: "900^1", delivered: false, errorCode: "MK:0012",
                                        atMillis: 1_483_200_008_000)], "Beijing time")
        let reply = #"[{"phone_number":"13900000003","send_time":"2017-01-01 00:00:00","content":"1","sign_name":"【阿里云】","dest_code":"1234","sequence_id":77}]"#
        let replies = try VendorCallbacks.replies(vendor: "aliyun", body: Array(reply.utf8))
        XCTAssertEqual(replies.map(\.providerMessageID), ["aliyun-77"])
        XCTAssertEqual(replies.map(\.text), ["1"])
    }

    func testTencentReportsAndReplies() throws {
        let report = #"[{"user_receive_time":"2015-10-17 08:03:04","nationcode":"86","mobile":"13900000003","report_status":"SUCCESS","errmsg":"DELIVRD","description":"用户短信送达成功","sid":"2028:1","ext":{}}]"#
        XCTAssertEqual(try VendorCallbacks.receipts(vendor: "tencent", body: Array(report.utf8)).map(\.delivered), [true])
        let reply = #"{"extend":"","mobile":"13900000003","nationcode":"86","sign":"腾讯云","text":"收到","time":1457336869}"#
        let first = try VendorCallbacks.replies(vendor: "tencent", body: Array(reply.utf8))
        let again = try VendorCallbacks.replies(vendor: "tencent", body: Array(reply.utf8))
        XCTAssertEqual(first, again, "the same reply names itself the same way")
        XCTAssertEqual(first.first?.atMillis, 1_457_336_869_000)
    }

    func testJunkIsRefused() {
        XCTAssertThrowsError(try VendorCallbacks.receipts(vendor: "aliyun", body: Array("{}".utf8)))
        XCTAssertThrowsError(try VendorCallbacks.receipts(vendor: "aliyun", body: Array(#"[{"success":true}]"#.utf8)))
        XCTAssertThrowsError(try VendorCallbacks.replies(vendor: "other", body: Array("[]".utf8)))
    }
}
