import Foundation

/// One migration file: `NNNN_name.sql` (plain SQL, no transaction control; each file runs in
/// its own transaction).
public struct Migration: Sendable, Equatable {
    public var version: Int
    public var name: String
    public var sql: String

    public init(version: Int, name: String, sql: String) {
        self.version = version
        self.name = name
        self.sql = sql
    }

    /// Reads every `NNNN_name.sql` in `directory`, ordered by version. Other files are
    /// ignored; two files with one version are an error.
    public static func load(directory: String) throws -> [Migration] {
        let names = try FileManager.default.contentsOfDirectory(atPath: directory)
        var migrations: [Migration] = []
        for fileName in names where fileName.hasSuffix(".sql") {
            guard let (version, name) = parseFileName(fileName) else {
                throw MigrationError.invalidFileName(fileName)
            }
            let path = (directory as NSString).appendingPathComponent(fileName)
            let sql = try String(contentsOfFile: path, encoding: .utf8)
            migrations.append(Migration(version: version, name: name, sql: sql))
        }
        migrations.sort { $0.version < $1.version }
        for (previous, next) in zip(migrations, migrations.dropFirst()) where previous.version == next.version {
            throw MigrationError.duplicateVersion(next.version)
        }
        return migrations
    }

    /// "0001_create_orders.sql" -> (1, "create_orders").
    static func parseFileName(_ fileName: String) -> (Int, String)? {
        let stem = fileName.dropLast(".sql".count)
        guard let underscore = stem.firstIndex(of: "_") else { return nil }
        let digits = stem[..<underscore]
        let name = stem[stem.index(after: underscore)...]
        guard digits.count >= 4, digits.allSatisfy(\.isASCII), let version = Int(digits), version > 0, !name.isEmpty else {
            return nil
        }
        return (version, String(name))
    }
}

public enum MigrationError: Error, Equatable, CustomStringConvertible {
    case invalidFileName(String)
    case duplicateVersion(Int)
    case invalidSchemaName(String)
    case schemaMissing(String)
    /// A file that was already applied has changed since: never silently diverge.
    case checksumMismatch(version: Int, name: String)

    public var description: String {
        switch self {
        case .invalidFileName(let name): return "migration file \(name) is not named NNNN_name.sql"
        case .duplicateVersion(let version): return "two migration files have version \(version)"
        case .invalidSchemaName(let name): return "\(name) is not a valid schema name ([a-z_][a-z0-9_]*)"
        case .schemaMissing(let name): return "schema \(name) does not exist: run the bootstrap first"
        case .checksumMismatch(let version, let name):
            return "migration \(version)_\(name) was changed after it was applied"
        }
    }
}

/// Service and schema names are used as SQL identifiers, which cannot be parameters, so
/// they are restricted to names that never need quoting.
enum SchemaName {
    static func isValid(_ name: String) -> Bool {
        guard let first = name.unicodeScalars.first, name.unicodeScalars.count <= 63 else { return false }
        func lowerOrUnderscore(_ c: Unicode.Scalar) -> Bool { ("a"..."z").contains(c) || c == "_" }
        return lowerOrUnderscore(first)
            && name.unicodeScalars.allSatisfy { lowerOrUnderscore($0) || ("0"..."9").contains($0) }
    }
}
