import Foundation
import HTTPClient

/// Where a vendor's API is and the account to sign with. `url` is the vendor's endpoint
/// (https://dysmsapi.aliyuncs.com/, https://sms.tencentcloudapi.com/), or a fake one in tests.
public struct VendorConfiguration: Sendable, Equatable {
    public var host: String
    public var port: Int
    public var path: String
    public var keyID: String
    public var keySecret: String
    /// Tencent: the SmsSdkAppId; Alibaba: unused.
    public var appID: String
    /// Alibaba "cn-hangzhou", Tencent "ap-guangzhou".
    public var region: String
    public var timeout: Duration
    public var tls: TLSTrust?

    public init?(url: String, keyID: String, keySecret: String, appID: String = "", region: String, timeout: Duration = .seconds(5),
                 trust: TLSTrust? = nil) {
        guard let components = URLComponents(string: url), let scheme = components.scheme,
              scheme == "http" || scheme == "https", let host = components.host, !host.isEmpty else { return nil }
        let secure = scheme == "https"
        self.host = host
        port = components.port ?? (secure ? 443 : 80)
        path = components.path.isEmpty ? "/" : components.path
        self.keyID = keyID
        self.keySecret = keySecret
        self.appID = appID
        self.region = region
        self.timeout = timeout
        tls = secure ? (trust ?? .system) : nil
    }

    var hostHeader: String { HTTP1Client.hostHeader(host: host, port: port, tls: tls != nil) }
}

/// Alibaba Cloud SMS `SendSms` (API version 2017-05-25), RPC style: the signed parameters as an
/// application/x-www-form-urlencoded POST body. Answers {"Code":"OK","BizId":...}; the BizId is
/// what delivery reports quote (`biz_id`). Throttling codes are retried, other refusals are not.
public struct AliyunSMSProvider: SMSProvider {
    public let name = "aliyun"
    let configuration: VendorConfiguration
    let client = HTTP1Client()
    let clock: @Sendable () -> Int64
    let nonce: @Sendable () -> String

    public init(configuration: VendorConfiguration, clock: @escaping @Sendable () -> Int64,
                nonce: @escaping @Sendable () -> String = { UUID().uuidString.lowercased() }) {
        self.configuration = configuration
        self.clock = clock
        self.nonce = nonce
    }

    static let transientCodes: Set<String> = ["isv.BUSINESS_LIMIT_CONTROL", "Throttling.User", "Throttling", "ServiceUnavailable",
                                              "InternalError", "isp.SYSTEM_ERROR"]

    public func send(_ sms: OutgoingSMS) async throws(SMSProviderError) -> String {
        guard !sms.vendorTemplateCode.isEmpty, !sms.signName.isEmpty else {
            throw .permanent("no registered template code or signature for this message")
        }
        var templateParam: [String: String] = [:]
        for param in sms.templateParams { templateParam[param.name] = param.value }
        let paramJSON = (try? JSONSerialization.data(withJSONObject: templateParam, options: [.sortedKeys]))
            .flatMap { String(data: $0, encoding: .utf8) } ?? "{}"
        var parameters = [
            "AccessKeyId": configuration.keyID, "Action": "SendSms", "Format": "JSON", "OutId": sms.messageID,
            "PhoneNumbers": sms.phone.digits, "RegionId": configuration.region, "SignName": sms.signName,
            "SignatureMethod": "HMAC-SHA1", "SignatureNonce": nonce(), "SignatureVersion": "1.0",
            "TemplateCode": sms.vendorTemplateCode, "TemplateParam": paramJSON,
            "Timestamp": Self.iso8601(clock()), "Version": "2017-05-25",
        ]
        parameters["Signature"] = AliyunSignature.sign(parameters, secret: configuration.keySecret, method: "POST")
        let body = Array((AliyunSignature.canonicalQuery(parameters) + "&Signature=" + AliyunSignature.percentEncode(parameters["Signature"]!)).utf8)
        let response: HTTP1Client.Response
        do {
            response = try await client.post(host: configuration.host, port: configuration.port, path: configuration.path,
                                              headers: [("Content-Type", "application/x-www-form-urlencoded")], body: body,
                                              timeout: configuration.timeout, tls: configuration.tls)
        } catch {
            throw .transient(error.description)
        }
        let object = (try? JSONSerialization.jsonObject(with: Data(response.body))) as? [String: Any]
        let code = object?["Code"] as? String ?? ""
        if response.status == 200, code == "OK", let bizID = object?["BizId"] as? String, !bizID.isEmpty { return bizID }
        if response.status >= 500 || response.status == 429 || Self.transientCodes.contains(code) {
            throw .transient("aliyun answered \(response.status) \(code)")
        }
        throw .permanent("aliyun refused the message: \(response.status) \(code) \(object?["Message"] as? String ?? "")")
    }

    /// "2017-07-12T02:42:19Z".
    static func iso8601(_ millis: Int64) -> String {
        let seconds = millis / 1000
        let time = seconds % 86_400
        return TC3Signature.utcDate(seconds) + String(format: "T%02d:%02d:%02dZ", time / 3600, time % 3600 / 60, time % 60)
    }
}

/// Tencent Cloud SMS `SendSms` (API 3.0, version 2021-01-11), a JSON POST signed with
/// TC3-HMAC-SHA256. Answers {"Response":{"SendStatusSet":[{"SerialNo","Code":"Ok",...}]}}; the
/// SerialNo is what status reports quote (`sid`). SessionContext carries our message id.
public struct TencentSMSProvider: SMSProvider {
    public let name = "tencent"
    static let contentType = "application/json; charset=utf-8"
    let configuration: VendorConfiguration
    let client = HTTP1Client()
    let clock: @Sendable () -> Int64

    public init(configuration: VendorConfiguration, clock: @escaping @Sendable () -> Int64) {
        self.configuration = configuration
        self.clock = clock
    }

    static let transientCodes: Set<String> = ["LimitExceeded.PhoneNumberThirtySecondLimit", "LimitExceeded.PhoneNumberOneHourLimit",
                                              "InternalError.Timeout", "InternalError.RequestTimeException", "RequestLimitExceeded"]

    public func send(_ sms: OutgoingSMS) async throws(SMSProviderError) -> String {
        guard !sms.vendorTemplateCode.isEmpty, !sms.signName.isEmpty else {
            throw .permanent("no registered template code or signature for this message")
        }
        let request: [String: Any] = [
            "PhoneNumberSet": ["+86" + sms.phone.digits], "SmsSdkAppId": configuration.appID, "SignName": sms.signName,
            "TemplateId": sms.vendorTemplateCode, "TemplateParamSet": sms.templateParams.map(\.value), "SessionContext": sms.messageID,
        ]
        guard let body = try? JSONSerialization.data(withJSONObject: request, options: [.sortedKeys]) else {
            throw .permanent("cannot encode the request")
        }
        let timestamp = clock() / 1000
        let authorization = TC3Signature.authorization(secretID: configuration.keyID, secretKey: configuration.keySecret, service: "sms",
                                                       host: configuration.hostHeader, contentType: Self.contentType,
                                                       timestamp: timestamp, payload: Array(body))
        let headers = [
            ("Content-Type", Self.contentType), ("Authorization", authorization), ("X-TC-Action", "SendSms"),
            ("X-TC-Version", "2021-01-11"), ("X-TC-Timestamp", String(timestamp)), ("X-TC-Region", configuration.region),
        ]
        let response: HTTP1Client.Response
        do {
            response = try await client.post(host: configuration.host, port: configuration.port, path: configuration.path, headers: headers,
                                              body: Array(body), timeout: configuration.timeout, tls: configuration.tls)
        } catch {
            throw .transient(error.description)
        }
        let object = ((try? JSONSerialization.jsonObject(with: Data(response.body))) as? [String: Any])?["Response"] as? [String: Any]
        if let error = object?["Error"] as? [String: Any] {
            let code = error["Code"] as? String ?? ""
            if code.hasPrefix("InternalError") || Self.transientCodes.contains(code) { throw .transient("tencent answered \(code)") }
            throw .permanent("tencent refused the request: \(code) \(error["Message"] as? String ?? "")")
        }
        guard response.status == 200, let status = (object?["SendStatusSet"] as? [[String: Any]])?.first else {
            throw .transient("tencent answered \(response.status) without a send status")
        }
        let code = status["Code"] as? String ?? ""
        if code == "Ok", let serial = status["SerialNo"] as? String, !serial.isEmpty { return serial }
        if Self.transientCodes.contains(code) { throw .transient("tencent answered \(code)") }
        throw .permanent("tencent refused the message: \(code) \(status["Message"] as? String ?? "")")
    }
}
