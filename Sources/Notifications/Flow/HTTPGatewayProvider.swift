import Crypto
import Foundation
import HTTPClient

/// A real SMS gateway over HTTPS (or plain http on a private network). The request:
///
///     POST <path>   Content-Type: application/json
///     X-Api-Key: <key>   X-Timestamp: <unix ms>
///     X-Signature: hex(HMAC-SHA256(secret, "<timestamp>\n<body>"))
///     {"client_ref": <our message id>, "to": "+86<phone>", "text": ..., "region": ...}
///
/// The gateway answers 2xx {"message_id": "..."}; it is expected to dedupe on client_ref (the
/// common practice), which makes retries after an ambiguous failure safe. 4xx other than 408
/// and 429 are permanent refusals; 5xx, 408, 429, timeouts and connection errors are retried.
public struct HTTPGatewayProvider: SMSProvider {
    public struct Configuration: Sendable, Equatable {
        public var host: String
        public var port: Int
        public var path: String
        public var apiKey: String
        public var secret: String
        public var timeout: Duration
        /// Whom to trust for https (the certificate must also name `host`); nil: plain http.
        public var tls: TLSTrust?

        public init(host: String, port: Int, path: String = "/sms/send", apiKey: String, secret: String,
                    timeout: Duration = .seconds(5), tls: TLSTrust? = nil) {
            self.host = host
            self.port = port
            self.path = path
            self.apiKey = apiKey
            self.secret = secret
            self.timeout = timeout
            self.tls = tls
        }

        /// From `https://host[:port]/path` (trusting `trust`, by default the system's CAs) or `http://host[:port]/path`; nil
        /// for anything else.
        public init?(url: String, apiKey: String, secret: String, timeout: Duration = .seconds(5),
                     trust: TLSTrust? = nil) {
            guard let components = URLComponents(string: url), let scheme = components.scheme,
                  scheme == "http" || scheme == "https", let host = components.host, !host.isEmpty else { return nil }
            let secure = scheme == "https"
            self.init(host: host, port: components.port ?? (secure ? 443 : 80),
                      path: components.path.isEmpty ? "/" : components.path,
                      apiKey: apiKey, secret: secret, timeout: timeout, tls: secure ? (trust ?? .system) : nil)
        }
    }

    public let name = "http-gateway"
    let configuration: Configuration
    let client = HTTP1Client()
    let clock: @Sendable () -> Int64

    public init(configuration: Configuration, clock: @escaping @Sendable () -> Int64) {
        self.configuration = configuration
        self.clock = clock
    }

    public func send(_ sms: OutgoingSMS) async throws(SMSProviderError) -> String {
        let payload: [String: Any] = [
            "client_ref": sms.messageID, "to": "+86" + sms.phone.digits, "text": sms.text, "region": sms.regionCode,
        ]
        let body: [UInt8]
        do {
            body = Array(try JSONSerialization.data(withJSONObject: payload, options: [.sortedKeys]))
        } catch {
            throw .permanent("cannot encode the request: \(error)")
        }
        let timestamp = String(clock())
        let headers = [
            ("Content-Type", "application/json"),
            ("X-Api-Key", configuration.apiKey),
            ("X-Timestamp", timestamp),
            ("X-Signature", Self.signature(secret: configuration.secret, timestamp: timestamp, body: body)),
        ]
        let response: HTTP1Client.Response
        do {
            response = try await client.post(host: configuration.host, port: configuration.port, path: configuration.path,
                                              headers: headers, body: body, timeout: configuration.timeout,
                                              tls: configuration.tls)
        } catch {
            throw .transient(error.description)
        }
        switch response.status {
        case 200..<300:
            guard let object = try? JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any],
                  let id = object["message_id"] as? String, !id.isEmpty else {
                throw .transient("gateway answered \(response.status) without a message_id")
            }
            return id
        case 408, 429, 500...:
            throw .transient("gateway answered \(response.status)")
        default:
            throw .permanent("gateway refused the message: \(response.status) \(String(decoding: response.body.prefix(200), as: UTF8.self))")
        }
    }

    /// hex(HMAC-SHA256(secret, timestamp + "\n" + body)).
    public static func signature(secret: String, timestamp: String, body: [UInt8]) -> String {
        let key = SymmetricKey(data: Array(secret.utf8))
        let mac = HMAC<SHA256>.authenticationCode(for: Array(timestamp.utf8) + [0x0A] + body, using: key)
        return mac.map { String(format: "%02x", $0) }.joined()
    }
}
