import Foundation

/// Opaque paging cursors: the sort key of the last row of a page, base64url so callers do
/// not build them. A cursor that does not decode is a bad argument, not an empty page.
enum PageCursor {
    static let defaultSize = 20
    static let maxSize = 100

    static func size(_ requested: Int32) -> Int {
        requested <= 0 ? defaultSize : min(Int(requested), maxSize)
    }

    static func encode(_ key: String) -> String {
        Data(key.utf8).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    /// nil for an empty cursor (the first page); throws-free: a bad cursor is nil + invalid.
    static func decode(_ cursor: String) -> (key: String?, valid: Bool) {
        if cursor.isEmpty { return (nil, true) }
        var base64 = cursor.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while base64.count % 4 != 0 { base64 += "=" }
        guard cursor.count <= 400, let data = Data(base64Encoded: base64), let key = String(data: data, encoding: .utf8) else {
            return (nil, false)
        }
        return (key, true)
    }
}

import Messages

extension PageCursor {
    /// The page info of an answer: `next` empty when this was the last page.
    static func info(_ next: String?) -> Xsc_Common_V1_PageInfo {
        var info = Xsc_Common_V1_PageInfo()
        info.nextCursor = next ?? ""
        return info
    }
}
