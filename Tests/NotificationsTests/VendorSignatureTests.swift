import Notifications
import XCTest

/// The vendors' own published examples, byte for byte: a signer that drifts from them would be
/// refused by the real clouds.
final class VendorSignatureTests: XCTestCase {
    /// Alibaba Cloud SMS "签名机制" example (AccessKeySecret testSecret, GET).
    func testAliyunSignatureMatchesTheDocumentedExample() {
        let parameters = [
            "AccessKeyId": "testId", "Action": "SendSms", "Format": "XML", "OutId": "123", "PhoneNumbers": "15300000001",
            "RegionId": "cn-hangzhou", "SignName": "阿里云短信测试专用", "SignatureMethod": "HMAC-SHA1",
            "SignatureNonce": "45e25e9b-0a6f-4070-8c85-2956eda1b466", "SignatureVersion": "1.0", "TemplateCode": "SMS_71390007",
            "TemplateParam": "{\"customer\":\"test\"}", "Timestamp": "2017-07-12T02:42:19Z", "Version": "2017-05-25",
        ]
        XCTAssertEqual(AliyunSignature.sign(parameters, secret: "testSecret", method: "GET"), "zJDF+Lrzhj/ThnlvIToysFRq6t4=")
        XCTAssertEqual(AliyunSignature.percentEncode("a b*~/"), "a%20b%2A~%2F")
    }

    /// Tencent Cloud API "Signature v3" example (CVM DescribeInstances, 2019-02-25).
    func testTC3SignatureMatchesTheDocumentedExample() {
        let payload = Array(#"{"Limit": 1, "Filters": [{"Values": ["\u672a\u547d\u540d"], "Name": "instance-name"}]}"#.utf8)
        let signature = TC3Signature.sign(secretKey: "Gu5t9xGARNpq86cd98joQYCN3EXAMPLE", service: "cvm", host: "cvm.tencentcloudapi.com",
                                          contentType: "application/json; charset=utf-8", timestamp: 1_551_113_065, payload: payload)
        XCTAssertEqual(signature, "72e494ea809ad7a8c8f7a4507b9bddcbaa8e581f516e8da2f66e2c5a96525168")
        XCTAssertEqual(TC3Signature.utcDate(1_551_113_065), "2019-02-25")
        XCTAssertEqual(TC3Signature.utcDate(0), "1970-01-01")
        XCTAssertEqual(TC3Signature.utcDate(951_782_400), "2000-02-29")
    }
}
