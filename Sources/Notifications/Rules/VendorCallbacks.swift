import Foundation

/// The vendors' callback bodies, read into our states. Formats as the vendors publish them:
/// - Alibaba Cloud SMS delivery report (SmsReport, HTTP batch push): a JSON array of
///   {"phone_number","send_time","report_time","success","err_code","err_msg","sms_size","biz_id","out_id"};
///   inbound reply (SmsUp): a JSON array of {"phone_number","send_time","content","sign_name","dest_code","sequence_id"};
///   the answer it expects: {"code":0,"msg":"成功"}.
/// - Tencent Cloud SMS status report: a JSON array of {"user_receive_time","nationcode","mobile",
///   "report_status" ("SUCCESS"/"FAIL"),"errmsg","description","sid","ext"}; reply callback: one object
///   {"extend","mobile","nationcode","sign","text","time"} (time in Unix seconds); answer
///   {"result":0,"errmsg":"OK"}.
/// Vendor times "yyyy-MM-dd HH:mm:ss" are Beijing time (UTC+8).
public enum VendorCallbacks {
    public struct Receipt: Sendable, Equatable {
        public var providerMessageID: String
        public var delivered: Bool
        public var errorCode: String
        public var atMillis: Int64
    }

    public struct Reply: Sendable, Equatable {
        public var phone: String
        public var text: String
        public var atMillis: Int64
        /// What makes a redelivered reply the same reply.
        public var providerMessageID: String
    }

    public enum Problem: Error, Equatable {
        case unknownVendor(String)
        case unknownKind(String)
        case malformed(String)
    }

    public static func answer(vendor: String) -> String {
        vendor == "tencent" ? #"{"result":0,"errmsg":"OK"}"# : #"{"code":0,"msg":"成功"}"#
    }

    public static func receipts(vendor: String, body: [UInt8]) throws(Problem) -> [Receipt] {
        switch vendor {
        case "aliyun":
            return try array(body).map { entry throws(Problem) in
                guard let id = string(entry["biz_id"]), !id.isEmpty else { throw .malformed("a report without biz_id") }
                let success = (entry["success"] as? Bool) ?? (string(entry["success"]) == "true")
                return Receipt(providerMessageID: id, delivered: success, errorCode: string(entry["err_code"]) ?? "",
                               atMillis: beijing(string(entry["report_time"])) ?? 0)
            }
        case "tencent":
            return try array(body).map { entry throws(Problem) in
                guard let id = string(entry["sid"]), !id.isEmpty else { throw .malformed("a report without sid") }
                let status = string(entry["report_status"]) ?? ""
                return Receipt(providerMessageID: id, delivered: status == "SUCCESS",
                               errorCode: string(entry["errmsg"]) ?? status, atMillis: beijing(string(entry["user_receive_time"])) ?? 0)
            }
        default:
            throw .unknownVendor(vendor)
        }
    }

    public static func replies(vendor: String, body: [UInt8]) throws(Problem) -> [Reply] {
        switch vendor {
        case "aliyun":
            return try array(body).map { entry throws(Problem) in
                guard let phone = string(entry["phone_number"]), let text = string(entry["content"]) else {
                    throw .malformed("a reply without phone_number or content")
                }
                let sequence = string(entry["sequence_id"]) ?? ""
                let at = beijing(string(entry["send_time"])) ?? 0
                return Reply(phone: phone, text: text, atMillis: at,
                             providerMessageID: "aliyun-" + (sequence.isEmpty ? "\(phone)-\(at)-" + stableDigest(text) : sequence))
            }
        case "tencent":
            let entries: [[String: Any]]
            if let object = try? JSONSerialization.jsonObject(with: Data(body)) as? [String: Any] {
                entries = [object]
            } else {
                entries = try array(body)
            }
            return try entries.map { entry throws(Problem) in
                guard let phone = string(entry["mobile"]), let text = string(entry["text"]) else {
                    throw .malformed("a reply without mobile or text")
                }
                let seconds = Int64(string(entry["time"]) ?? "") ?? 0
                // Tencent gives a reply no id: the phone, the second and the text name it.
                return Reply(phone: phone, text: text, atMillis: seconds * 1000,
                             providerMessageID: "tencent-\(phone)-\(seconds)-" + stableDigest(text))
            }
        default:
            throw .unknownVendor(vendor)
        }
    }

    static func array(_ body: [UInt8]) throws(Problem) -> [[String: Any]] {
        guard let list = try? JSONSerialization.jsonObject(with: Data(body)) as? [[String: Any]] else {
            throw .malformed("expected a JSON array of objects")
        }
        return list
    }

    static func string(_ value: Any?) -> String? {
        switch value {
        case let text as String: text
        case let number as NSNumber: number.stringValue
        default: nil
        }
    }

    /// "2017-01-01 00:00:00" Beijing time -> Unix ms.
    static func beijing(_ text: String?) -> Int64? {
        guard let text else { return nil }
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(secondsFromGMT: 8 * 3600)
        formatter.dateFormat = "yyyy-MM-dd HH:mm:ss"
        return formatter.date(from: text).map { Int64($0.timeIntervalSince1970 * 1000) }
    }

    /// FNV-1a of the UTF-8 text, hex (stable across processes, unlike `hashValue`).
    static func stableDigest(_ text: String) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in text.utf8 { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
        return String(hash, radix: 16)
    }
}
