import Foundation
import ServiceKit
import HTTPClient

/// The notifications service's own environment (beside ServiceKit's shared variables), read
/// at start with every problem reported at once:
///
///   XSC_SMS_PROVIDER          dev (default) | http | aliyun | tencent
///   XSC_SMS_VENDOR_URL        aliyun/tencent: the API endpoint (default https://dysmsapi.aliyuncs.com/ or
///                             https://sms.tencentcloudapi.com/)
///   XSC_SMS_VENDOR_KEY_ID     aliyun AccessKeyId / tencent SecretId
///   XSC_SMS_VENDOR_KEY_SECRET aliyun AccessKeySecret / tencent SecretKey
///   XSC_SMS_VENDOR_APP_ID     tencent SmsSdkAppId
///   XSC_SMS_VENDOR_REGION     aliyun RegionId (default cn-hangzhou) / tencent X-TC-Region (default ap-guangzhou)
///   XSC_SMS_DEV_FILE          dev provider's JSON-lines file (default ./var/sms-dev.jsonl)
///   XSC_SMS_GATEWAY_URL       http provider: https://host[:port]/path (http:// on a private network)
///   XSC_SMS_GATEWAY_CA_FILE   https: PEM file of the CAs to trust (default: the system's trust store)
///   XSC_SMS_GATEWAY_KEY       http provider: API key (X-Api-Key)
///   XSC_SMS_GATEWAY_SECRET    http provider: HMAC-SHA256 signing secret
///   XSC_SMS_GATEWAY_TIMEOUT_MS  per request, default 5000
///   XSC_SMS_RATE_LIMIT        per recipient, "<count>/<seconds>s", default 5/60s
///   XSC_SMS_QUIET_HOURS       customer messages, "HH:MM-HH:MM" (org time zone) or off, default 21:00-08:00
///   XSC_SMS_MAX_ATTEMPTS      default 8
public struct NotificationsSettings: Sendable {
    public enum Provider: Sendable, Equatable {
        case devFile(path: String)
        case httpGateway(HTTPGatewayProvider.Configuration)
        case aliyun(VendorConfiguration)
        case tencent(VendorConfiguration)
    }

    /// The vendor whose registered templates messages need, if the provider is one.
    public var vendor: String? {
        switch provider {
        case .aliyun: "aliyun"
        case .tencent: "tencent"
        default: nil
        }
    }

    public var provider: Provider
    public var policy: DeliveryQueue.Policy

    public static func load(environment: [String: String], timeZoneIdentifier: String) -> Result<NotificationsSettings, SettingsError> {
        var problems: [String] = []
        let timeZone = TimeZone(identifier: timeZoneIdentifier) ?? TimeZone(identifier: "Asia/Shanghai") ?? .gmt
        var policy = DeliveryQueue.Policy()
        policy.quietHours = QuietHours(timeZone: timeZone)

        if let text = environment["XSC_SMS_QUIET_HOURS"], !text.isEmpty {
            if let parsed = QuietHours.parse(text, timeZone: timeZone) { policy.quietHours = parsed } else {
                problems.append("XSC_SMS_QUIET_HOURS: expected HH:MM-HH:MM or off, got \"\(text)\"")
            }
        }
        if let text = environment["XSC_SMS_RATE_LIMIT"], !text.isEmpty {
            if let parsed = parseRate(text) { policy.rateLimit = parsed } else {
                problems.append("XSC_SMS_RATE_LIMIT: expected <count>/<seconds>s such as 5/60s, got \"\(text)\"")
            }
        }
        if let text = environment["XSC_SMS_MAX_ATTEMPTS"], !text.isEmpty {
            if let attempts = Int(text), attempts >= 1 { policy.retry.maxAttempts = attempts } else {
                problems.append("XSC_SMS_MAX_ATTEMPTS: expected a positive integer, got \"\(text)\"")
            }
        }

        var provider = Provider.devFile(path: environment["XSC_SMS_DEV_FILE"].flatMap { $0.isEmpty ? nil : $0 }
                                        ?? "./var/sms-dev.jsonl")
        switch environment["XSC_SMS_PROVIDER"] ?? "dev" {
        case "dev", "":
            break
        case "aliyun", "tencent":
            let vendor = environment["XSC_SMS_PROVIDER"] ?? ""
            let isAliyun = vendor == "aliyun"
            let url = environment["XSC_SMS_VENDOR_URL"].flatMap { $0.isEmpty ? nil : $0 }
                ?? (isAliyun ? "https://dysmsapi.aliyuncs.com/" : "https://sms.tencentcloudapi.com/")
            let keyID = environment["XSC_SMS_VENDOR_KEY_ID"] ?? ""
            let secret = environment["XSC_SMS_VENDOR_KEY_SECRET"] ?? ""
            let appID = environment["XSC_SMS_VENDOR_APP_ID"] ?? ""
            if keyID.isEmpty { problems.append("XSC_SMS_VENDOR_KEY_ID is required with XSC_SMS_PROVIDER=\(vendor)") }
            if secret.isEmpty { problems.append("XSC_SMS_VENDOR_KEY_SECRET is required with XSC_SMS_PROVIDER=\(vendor)") }
            if !isAliyun && appID.isEmpty { problems.append("XSC_SMS_VENDOR_APP_ID (SmsSdkAppId) is required with XSC_SMS_PROVIDER=tencent") }
            let region = environment["XSC_SMS_VENDOR_REGION"].flatMap { $0.isEmpty ? nil : $0 } ?? (isAliyun ? "cn-hangzhou" : "ap-guangzhou")
            if let configuration = VendorConfiguration(url: url, keyID: keyID, keySecret: secret, appID: appID, region: region) {
                provider = isAliyun ? .aliyun(configuration) : .tencent(configuration)
            } else {
                problems.append("XSC_SMS_VENDOR_URL: expected http(s)://host[:port]/, got \"\(url)\"")
            }
        case "http":
            var timeout: Duration = .seconds(5)
            if let text = environment["XSC_SMS_GATEWAY_TIMEOUT_MS"], !text.isEmpty {
                if let millis = Int(text), millis > 0 { timeout = .milliseconds(millis) } else {
                    problems.append("XSC_SMS_GATEWAY_TIMEOUT_MS: expected a positive integer, got \"\(text)\"")
                }
            }
            let key = environment["XSC_SMS_GATEWAY_KEY"] ?? ""
            let secret = environment["XSC_SMS_GATEWAY_SECRET"] ?? ""
            if key.isEmpty { problems.append("XSC_SMS_GATEWAY_KEY is required with XSC_SMS_PROVIDER=http") }
            if secret.isEmpty { problems.append("XSC_SMS_GATEWAY_SECRET is required with XSC_SMS_PROVIDER=http") }
            let url = environment["XSC_SMS_GATEWAY_URL"] ?? ""
            var trust = TLSTrust.system
            if let caFile = environment["XSC_SMS_GATEWAY_CA_FILE"], !caFile.isEmpty {
                trust = .caFile(caFile)
                if !FileManager.default.isReadableFile(atPath: caFile) {
                    problems.append("XSC_SMS_GATEWAY_CA_FILE: cannot read \"\(caFile)\"")
                }
            }
            if let configuration = HTTPGatewayProvider.Configuration(url: url, apiKey: key, secret: secret, timeout: timeout,
                                                                     trust: trust) {
                provider = .httpGateway(configuration)
            } else {
                problems.append("XSC_SMS_GATEWAY_URL: expected https://host[:port]/path (or http:// on a private network), got \"\(url)\"")
            }
        case let other:
            problems.append("XSC_SMS_PROVIDER: expected dev, http, aliyun or tencent, got \"\(other)\"")
        }
        guard problems.isEmpty else { return .failure(SettingsError(problems: problems)) }
        return .success(NotificationsSettings(provider: provider, policy: policy))
    }

    static func parseRate(_ text: String) -> RecipientRateLimit? {
        let parts = text.split(separator: "/")
        guard parts.count == 2, let count = Int(parts[0]), count >= 1, parts[1].hasSuffix("s"),
              let seconds = Int(parts[1].dropLast()), seconds >= 1 else { return nil }
        return RecipientRateLimit(maxMessages: count, window: .seconds(seconds))
    }

    /// The delivery policy with the service's claim lease (XSC_CLAIM_LEASE_MS), which must
    /// outlast one send: a send still running when its lease ends could be made a second time.
    public func policy(claimLease: Duration) throws(SettingsError) -> DeliveryQueue.Policy {
        if case .httpGateway(let configuration) = provider, configuration.timeout >= claimLease {
            throw SettingsError(problems: [
                "XSC_CLAIM_LEASE_MS (\(claimLease.wholeMilliseconds) ms) must be longer than XSC_SMS_GATEWAY_TIMEOUT_MS "
                + "(\(configuration.timeout.wholeMilliseconds) ms): a send still running when its claim ends could be repeated",
            ])
        }
        var leased = policy
        leased.lease = claimLease
        return leased
    }

    public func makeProvider(clock: @escaping @Sendable () -> Int64) -> any SMSProvider {
        switch provider {
        case .devFile(let path): return DevFileProvider(path: path, clock: clock)
        case .httpGateway(let configuration): return HTTPGatewayProvider(configuration: configuration, clock: clock)
        case .aliyun(let configuration): return AliyunSMSProvider(configuration: configuration, clock: clock)
        case .tencent(let configuration): return TencentSMSProvider(configuration: configuration, clock: clock)
        }
    }
}

public struct SettingsError: Error, CustomStringConvertible {
    public var problems: [String]
    public var description: String { problems.joined(separator: "\n") }
}
