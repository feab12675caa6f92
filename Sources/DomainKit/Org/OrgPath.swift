/// Paths of the organisation tree: "/hq/cq/cq-o1/cq-o1-d3/t7" is hq → region → office →
/// district → team. The path is the unit of authorisation (DOMAIN.md): what is closed inside
/// a team compares paths exactly; what ancestors may see (orders, aggregated counts) compares
/// prefixes by whole segments.
public enum OrgPath {
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
