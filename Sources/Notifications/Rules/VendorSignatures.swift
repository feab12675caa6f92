import Crypto
import Foundation

/// Alibaba Cloud's RPC-style request signature (SignatureMethod HMAC-SHA1, SignatureVersion 1.0),
/// as its SMS API `SendSms` documents it: the parameters (without `Signature`) sorted by name,
/// each name and value percent-encoded (RFC 3986: only A-Z a-z 0-9 - _ . ~ stay; space is %20),
/// joined as `k=v&...`; StringToSign = METHOD + "&" + enc("/") + "&" + enc(that string);
/// Signature = Base64(HMAC-SHA1(AccessKeySecret + "&", StringToSign)).
public enum AliyunSignature {
    public static func sign(_ parameters: [String: String], secret: String, method: String = "POST") -> String {
        let key = SymmetricKey(data: Array((secret + "&").utf8))
        let mac = HMAC<Insecure.SHA1>.authenticationCode(for: Array(stringToSign(parameters, method: method).utf8), using: key)
        return Data(mac).base64EncodedString()
    }

    public static func stringToSign(_ parameters: [String: String], method: String) -> String {
        method + "&" + percentEncode("/") + "&" + percentEncode(canonicalQuery(parameters))
    }

    /// Sorted `k=v&...`, both percent-encoded; also the form body of the request.
    public static func canonicalQuery(_ parameters: [String: String]) -> String {
        parameters.filter { $0.key != "Signature" }
            .sorted { Array($0.key.utf8).lexicographicallyPrecedes(Array($1.key.utf8)) }
            .map { percentEncode($0.key) + "=" + percentEncode($0.value) }
            .joined(separator: "&")
    }

    public static func percentEncode(_ text: String) -> String {
        var out = ""
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                 UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."), UInt8(ascii: "~"):
                out.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                out += String(format: "%%%02X", byte)
            }
        }
        return out
    }
}

/// Tencent Cloud API 3.0's TC3-HMAC-SHA256 signature (POST, JSON body, signed headers
/// content-type and host), as the API's "Signature v3" documents it.
public enum TC3Signature {
    public static let algorithm = "TC3-HMAC-SHA256"

    /// The `Authorization` header value.
    public static func authorization(secretID: String, secretKey: String, service: String, host: String, contentType: String,
                                     timestamp: Int64, payload: [UInt8]) -> String {
        let date = utcDate(timestamp)
        let scope = "\(date)/\(service)/tc3_request"
        let signature = sign(secretKey: secretKey, service: service, host: host, contentType: contentType,
                             timestamp: timestamp, payload: payload)
        return "\(algorithm) Credential=\(secretID)/\(scope), SignedHeaders=content-type;host, Signature=\(signature)"
    }

    public static func sign(secretKey: String, service: String, host: String, contentType: String, timestamp: Int64,
                            payload: [UInt8]) -> String {
        let date = utcDate(timestamp)
        let canonical = "POST\n/\n\ncontent-type:\(contentType)\nhost:\(host)\n\ncontent-type;host\n" + hex(SHA256.hash(data: payload))
        let toSign = "\(algorithm)\n\(timestamp)\n\(date)/\(service)/tc3_request\n" + hex(SHA256.hash(data: Array(canonical.utf8)))
        let secretDate = hmac(Array(("TC3" + secretKey).utf8), date)
        let secretService = hmac(secretDate, service)
        let secretSigning = hmac(secretService, "tc3_request")
        return hex(hmac(secretSigning, toSign))
    }

    /// yyyy-MM-dd of the UTC day of `timestamp` (seconds).
    public static func utcDate(_ timestamp: Int64) -> String {
        let days = Int(floor(Double(timestamp) / 86_400))
        // Civil-from-days (Howard Hinnant): no calendar or time-zone objects needed.
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let day = doy - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        let year = yoe + era * 400 + (month <= 2 ? 1 : 0)
        return String(format: "%04d-%02d-%02d", year, month, day)
    }

    static func hmac(_ key: [UInt8], _ message: String) -> [UInt8] {
        Array(HMAC<SHA256>.authenticationCode(for: Array(message.utf8), using: SymmetricKey(data: key)))
    }

    static func hex<D: Sequence>(_ digest: D) -> String where D.Element == UInt8 {
        digest.map { String(format: "%02x", $0) }.joined()
    }
}
