import Foundation

/// A page cursor: the sort key of the last row of the previous page, so the next page starts
/// right after it however many rows arrived meanwhile (keyset paging). Opaque to callers:
/// base64url of the key's parts.
struct PageCursor: Sendable, Equatable {
    var parts: [String]

    init(_ parts: [String]) {
        self.parts = parts
    }

    /// nil for anything this service did not hand out with `count` parts.
    init?(text: String, count: Int) {
        var base64 = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while base64.count % 4 != 0 { base64 += "=" }
        guard text.count <= 512, let data = Data(base64Encoded: base64), let decoded = String(data: data, encoding: .utf8) else {
            return nil
        }
        let parts = decoded.split(separator: Self.separator, omittingEmptySubsequences: false).map(String.init)
        guard parts.count == count else { return nil }
        self.parts = parts
    }

    var text: String {
        Data(parts.joined(separator: String(Self.separator)).utf8).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
    }

    /// The key's first part as Unix ms (the lists' time columns), or nil.
    var millis: Int64? { parts.first.flatMap { Int64($0) } }

    private static let separator: Character = "\u{1F}"
}
