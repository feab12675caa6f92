/// The special JSON forms of google.protobuf.Timestamp ("1972-01-01T10:00:20.021Z", RFC 3339,
/// UTC on output) and google.protobuf.Duration ("1.5s"), as the mapping defines them.
extension ProtoJSON {
    /// 0001-01-01T00:00:00Z and 9999-12-31T23:59:59Z: the mapping's range.
    static let minTimestampSeconds: Int64 = -62_135_596_800
    static let maxTimestampSeconds: Int64 = 253_402_300_799

    public static func timestamp(seconds: Int64, nanos: Int32) -> JSONValue {
        let days = floorDiv(seconds, 86_400)
        let secondOfDay = seconds - days * 86_400
        let (year, month, day) = civil(fromDays: days)
        var text = pad(year, 4) + "-" + pad(month, 2) + "-" + pad(day, 2) + "T"
        text += pad(secondOfDay / 3600, 2) + ":" + pad(secondOfDay / 60 % 60, 2) + ":" + pad(secondOfDay % 60, 2)
        text += fraction(nanos) + "Z"
        return .string(text)
    }

    public static func timestamp(_ json: JSONValue, _ path: ProtoJSONPath) throws(ProtoJSONError) -> (seconds: Int64, nanos: Int32) {
        let text = try string(json, path)
        let bytes = Array(text.utf8)
        func digits(_ start: Int, _ count: Int) -> Int64? {
            guard start + count <= bytes.count else { return nil }
            var value: Int64 = 0
            for byte in bytes[start..<(start + count)] {
                guard byte >= 48, byte <= 57 else { return nil }
                value = value * 10 + Int64(byte - 48)
            }
            return value
        }
        func at(_ index: Int, _ char: Character) -> Bool { index < bytes.count && bytes[index] == char.asciiValue! }
        guard let year = digits(0, 4), at(4, "-"), let month = digits(5, 2), at(7, "-"), let day = digits(8, 2),
              at(10, "T") || at(10, "t"), let hour = digits(11, 2), at(13, ":"), let minute = digits(14, 2), at(16, ":"),
              let second = digits(17, 2), (1...12).contains(month), (1...31).contains(day), hour < 24, minute < 60, second < 60 else {
            throw path.error("expected an RFC 3339 time such as 2025-01-31T08:00:00Z")
        }
        var index = 19
        var nanos: Int64 = 0
        if at(index, ".") {
            index += 1
            var count = 0
            while index < bytes.count, bytes[index] >= 48, bytes[index] <= 57 {
                guard count < 9 else { throw path.error("more than 9 fractional digits") }
                nanos = nanos * 10 + Int64(bytes[index] - 48)
                count += 1
                index += 1
            }
            guard count > 0 else { throw path.error("empty fraction") }
            for _ in count..<9 { nanos *= 10 }
        }
        var offset: Int64 = 0
        if at(index, "Z") || at(index, "z") {
            index += 1
        } else if at(index, "+") || at(index, "-"), let hours = digits(index + 1, 2), at(index + 3, ":"), let minutes = digits(index + 4, 2) {
            offset = (hours * 60 + minutes) * 60 * (at(index, "-") ? -1 : 1)
            index += 6
        } else {
            throw path.error("expected a time zone (Z or +08:00)")
        }
        guard index == bytes.count else { throw path.error("unexpected text after the time") }
        let seconds = days(fromCivil: year, month, day) * 86_400 + hour * 3600 + minute * 60 + second - offset
        guard seconds >= minTimestampSeconds, seconds <= maxTimestampSeconds else { throw path.error("out of range") }
        return (seconds, Int32(nanos))
    }

    public static func duration(seconds: Int64, nanos: Int32) -> JSONValue {
        let negative = seconds < 0 || nanos < 0
        let text = (negative ? "-" : "") + String(seconds.magnitude) + fraction(Int32(nanos.magnitude)) + "s"
        return .string(text)
    }

    public static func duration(_ json: JSONValue, _ path: ProtoJSONPath) throws(ProtoJSONError) -> (seconds: Int64, nanos: Int32) {
        var text = try string(json, path)
        guard text.hasSuffix("s") else { throw path.error("expected a duration such as \"1.5s\"") }
        text.removeLast()
        let negative = text.hasPrefix("-")
        if negative { text.removeFirst() }
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count <= 2, let whole = Int64(parts[0]), whole <= 315_576_000_000, parts[0].allSatisfy(\.isNumber) else {
            throw path.error("expected a duration such as \"1.5s\"")
        }
        var nanos: Int64 = 0
        if parts.count == 2 {
            guard !parts[1].isEmpty, parts[1].count <= 9, parts[1].allSatisfy(\.isNumber), let fraction = Int64(parts[1]) else {
                throw path.error("expected a duration such as \"1.5s\"")
            }
            nanos = fraction
            for _ in parts[1].count..<9 { nanos *= 10 }
        }
        return negative ? (-whole, Int32(-nanos)) : (whole, Int32(nanos))
    }

    /// ".021", ".000021" or ".000000021" (3, 6 or 9 digits, as the mapping prefers), or "".
    private static func fraction(_ nanos: Int32) -> String {
        guard nanos != 0 else { return "" }
        if nanos % 1_000_000 == 0 { return "." + pad(Int64(nanos / 1_000_000), 3) }
        if nanos % 1000 == 0 { return "." + pad(Int64(nanos / 1000), 6) }
        return "." + pad(Int64(nanos), 9)
    }

    private static func pad(_ value: Int64, _ width: Int) -> String {
        let digits = String(value)
        return String(repeating: "0", count: max(0, width - digits.count)) + digits
    }

    private static func floorDiv(_ a: Int64, _ b: Int64) -> Int64 { a >= 0 ? a / b : -((-a + b - 1) / b) }

    /// Howard Hinnant's days-from-civil and its inverse (proleptic Gregorian, day 0 = 1970-01-01).
    private static func civil(fromDays z0: Int64) -> (Int64, Int64, Int64) {
        let z = z0 + 719_468
        let era = floorDiv(z, 146_097)
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let mp = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }

    private static func days(fromCivil y0: Int64, _ month: Int64, _ day: Int64) -> Int64 {
        let year = month <= 2 ? y0 - 1 : y0
        let era = floorDiv(year, 400)
        let yearOfEra = year - era * 400
        let dayOfYear = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }
}
