import DomainKit

/// Newest-first paging on (time, id): the cursor is "<ms>:<id>" of the last item of the
/// previous page. Page sizes are capped.
struct PageCursor: Sendable, Equatable {
    static let defaultSize = 20
    static let maxSize = 100

    var millis: Int64
    var id: String

    /// The page size to use for a requested one (0 -> default, capped).
    static func size(_ requested: Int32) -> Int {
        requested <= 0 ? defaultSize : min(Int(requested), maxSize)
    }

    /// nil for an empty cursor; INVALID_ARGUMENT for one this service did not make.
    static func parse(_ raw: String?) throws -> PageCursor? {
        guard let raw, !raw.isEmpty else { return nil }
        let parts = raw.split(separator: ":", maxSplits: 1)
        guard parts.count == 2, let millis = Int64(parts[0]), !parts[1].isEmpty, parts[1].count <= 64 else {
            throw FieldViolations.error("page.cursor", "not a cursor this service returned: start again with an empty cursor")
        }
        return PageCursor(millis: millis, id: String(parts[1]))
    }

    var text: String { "\(millis):\(id)" }
}
