/// Paths of the organisation tree: "/hq/cq/cq-o1/cq-o1-d3/t7" is hq → region → office →
/// district → team. The path is the unit of authorisation (DOMAIN.md): what is closed inside
/// a team compares paths exactly; what ancestors may see (orders, aggregated counts) compares
/// prefixes by whole segments.
public enum OrgPath {
    public static let root = "/hq"

    /// A node's own name in its path: 1-40 lower-case ASCII letters, digits and '-', not
    /// starting or ending with '-'. So a path never contains LIKE wildcards or anything to escape.
    public static func isValidSlug(_ slug: String) -> Bool {
        let bytes = Array(slug.utf8)
        guard (1...40).contains(bytes.count), bytes.first != 0x2d, bytes.last != 0x2d else { return false }
        return bytes.allSatisfy { ($0 >= 0x61 && $0 <= 0x7a) || ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x2d }
    }

    /// One to five valid slugs, each after a '/' (hq, region, office, district, team).
    public static func isValidPath(_ path: String) -> Bool {
        guard path.hasPrefix("/") else { return false }
        let segments = path.dropFirst().split(separator: "/", omittingEmptySubsequences: false)
        return (1...5).contains(segments.count) && segments.allSatisfy { isValidSlug(String($0)) }
    }

    /// `path` itself, then each ancestor up to the root, nearest first:
    /// "/hq/cq/cq-o1" → ["/hq/cq/cq-o1", "/hq/cq", "/hq"].
    public static func ancestors(of path: String) -> [String] {
        var result: [String] = []
        var current = Substring(path)
        while current.count > 1 {
            result.append(String(current))
            guard let slash = current.lastIndex(of: "/") else { break }
            current = current[..<slash]
        }
        return result
    }

    /// True when `path` is `subtree` or lies below it (whole segments: "/hq/cq" does not
    /// contain "/hq/cq2").
    public static func isWithin(_ path: String, subtree: String) -> Bool {
        path == subtree || path.hasPrefix(subtree.hasSuffix("/") ? subtree : subtree + "/")
    }

    /// The segment at `level` (0 hq, 1 region, 2 office, 3 district, 4 team), or nil when the
    /// path is shallower.
    public static func segment(_ path: String, level: Int) -> String? {
        let segments = path.split(separator: "/")
        return level < segments.count ? String(segments[level]) : nil
    }

    /// The region's code ("cq"): SMS signatures, price lists and reward rules are per region.
    public static func region(of path: String) -> String? { segment(path, level: 1) }

    /// The path of the region node ("/hq/cq"), or nil above regions.
    public static func regionPath(of path: String) -> String? {
        let segments = path.split(separator: "/")
        return segments.count >= 2 ? "/" + segments[0...1].joined(separator: "/") : nil
    }
}
