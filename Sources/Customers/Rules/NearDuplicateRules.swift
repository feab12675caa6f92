/// What makes two customers of a team look like one person (DOMAIN.md: "same name and
/// address, different phone"; and a phone typed with two neighbouring digits swapped).
enum NearDuplicateRules {
    /// A name or address as compared: lower-cased, without any whitespace or common
    /// punctuation, so "重庆市 渝中区 解放碑1号" and "重庆市渝中区解放碑1号" match.
    static func key(_ text: String) -> String {
        let dropped: Set<Character> = [",", ".", "，", "。", "、", "-", "－", "(", ")", "（", "）", "#", "＃"]
        return String(text.lowercased().filter { !$0.isWhitespace && !dropped.contains($0) })
    }

    /// Every number that differs from `digits` by one swap of two neighbouring, different
    /// digits (at most 11 for a mobile), without `digits` itself.
    static func transpositions(of digits: String) -> [String] {
        var characters = Array(digits)
        var result: [String] = []
        for index in 0..<max(0, characters.count - 1) where characters[index] != characters[index + 1] {
            characters.swapAt(index, index + 1)
            let candidate = String(characters)
            if !result.contains(candidate) { result.append(candidate) }
            characters.swapAt(index, index + 1)
        }
        return result
    }

    /// As a PostgreSQL text[] literal (digits only, so nothing needs quoting).
    static func arrayLiteral(_ values: [String]) -> String {
        "{" + values.joined(separator: ",") + "}"
    }
}
