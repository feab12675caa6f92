import Foundation

/// Names of the generated enums' cases as words for people and stable snake_case for scripts
/// ("districtLead" -> "district_lead"); a value this build does not know prints as
/// "unknown_<n>". The generated enums carry no names of their own.
enum EnumName {
    static func of<Value>(_ value: Value) -> String {
        let text = String(describing: value)
        if text.hasPrefix("unrecognized(") {
            return "unknown_" + text.dropFirst("unrecognized(".count).dropLast()
        }
        if text == "unspecified" { return "" }
        var out = ""
        for character in text {
            if character.isUppercase {
                out += "_" + character.lowercased()
            } else {
                out.append(character)
            }
        }
        return out
    }

    /// The case of `Value` whose name is `word` (case-insensitive; '-' and '_' alike).
    static func parse<Value>(_ word: String, among cases: [Value], option: String) throws(CLIError) -> Value {
        let wanted = word.lowercased().replacingOccurrences(of: "-", with: "_")
        if let found = cases.first(where: { of($0) == wanted }) { return found }
        throw .usage("\(option) \(word): one of \(cases.map(of).joined(separator: ", "))")
    }
}
