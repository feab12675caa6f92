/// Paths of the organisation tree: "/hq/cq/cq-o1". Segments are slugs of lower-case ASCII
/// letters, digits and '-', so a path never contains LIKE wildcards or anything to escape.
public enum OrgPaths {
    public static let root = "/hq"

    public static func isValidSlug(_ slug: String) -> Bool {
        let bytes = Array(slug.utf8)
        guard (1...40).contains(bytes.count), bytes.first != 0x2d, bytes.last != 0x2d else { return false }
        return bytes.allSatisfy { ($0 >= 0x61 && $0 <= 0x7a) || ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x2d }
    }

    public static func isValidPath(_ path: String) -> Bool {
        guard path.hasPrefix("/") else { return false }
        let segments = path.dropFirst().split(separator: "/", omittingEmptySubsequences: false)
        return (1...5).contains(segments.count) && segments.allSatisfy { isValidSlug(String($0)) }
    }

    /// True when `path` is `ancestor` or lies below it.
    public static func isWithin(_ path: String, _ ancestor: String) -> Bool {
        path == ancestor || path.hasPrefix(ancestor + "/")
    }
}
