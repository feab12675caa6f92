/// Builds one JSON object as text, appending members in order. Strings are escaped per
/// RFC 8259; non-finite numbers (which JSON cannot carry) become strings.
struct JSONLine {
    private(set) var text = "{"
    private var empty = true

    mutating func add(_ key: String, _ value: LogValue) {
        if !empty { text += "," }
        empty = false
        JSONLine.appendString(key, to: &text)
        text += ":"
        switch value {
        case .string(let string):
            JSONLine.appendString(string, to: &text)
        case .int(let number):
            text += String(number)
        case .double(let number):
            if number.isFinite { text += String(number) } else { JSONLine.appendString(String(number), to: &text) }
        case .bool(let flag):
            text += flag ? "true" : "false"
        }
    }

    func finished() -> String { text + "}" }

    static func appendString(_ string: String, to text: inout String) {
        text += "\""
        for scalar in string.unicodeScalars {
            switch scalar {
            case "\"": text += "\\\""
            case "\\": text += "\\\\"
            case "\n": text += "\\n"
            case "\r": text += "\\r"
            case "\t": text += "\\t"
            default:
                if scalar.value < 0x20 || scalar.value == 0x2028 || scalar.value == 0x2029 {
                    text += "\\u" + hex4(scalar.value)
                } else {
                    text.unicodeScalars.append(scalar)
                }
            }
        }
        text += "\""
    }

    private static func hex4(_ value: UInt32) -> String {
        let digits = String(value, radix: 16)
        return String(repeating: "0", count: max(0, 4 - digits.count)) + digits
    }
}
