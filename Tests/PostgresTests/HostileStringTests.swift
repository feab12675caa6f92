import XSCTestSupport
import Postgres
import XCTest

/// Values never become SQL: whatever a string holds, it is stored and read back verbatim.
final class HostileStringTests: XCTestCase {
    static let hostile = [
        "'; DROP TABLE notes; --",
        "' OR '1'='1",
        "$1",
        "$$ body $$",
        "\\'; SELECT pg_sleep(10); --",
        "E'\\x00'",
        "\"notes\"",
        "Robert'); DELETE FROM notes WHERE ('1'='1",
        "𝕳𝖔𝖘𝖙𝖎𝖑𝖊 \u{202E}txt.exe",
        String(repeating: "'", count: 10_000),
    ]

    func testHostileStringsRoundTripAndChangeNothing() async throws {
        let cluster = try requireCluster()
        let pool = try cluster.pool(try await cluster.makeDatabase())
        defer { pool.close() }
        try await pool.execute("CREATE TABLE notes (id bigserial PRIMARY KEY, body text NOT NULL)")
        for text in Self.hostile {
            try await pool.execute("INSERT INTO notes (body) VALUES ($1)", [.text(text)])
            let found = try await pool.query("SELECT count(*) FROM notes WHERE body = $1", [.text(text)])
            XCTAssertEqual(try found[0].decode(Int64.self, at: 0), 1, text)
        }
        let rows = try await pool.query("SELECT body FROM notes ORDER BY id")
        XCTAssertEqual(try rows.map { try $0.decode(String.self, at: 0) }, Self.hostile)
        let tables = try await pool.query("SELECT count(*) FROM pg_tables WHERE tablename = $1", ["notes"])
        XCTAssertEqual(try tables[0].decode(Int64.self, at: 0), 1)
    }

    /// `PostgresValue.textArray` quotes and escapes each element: every hostile string, a quote
    /// followed by a combining mark, the empty string and a literal NULL come back as given.
    func testTextArraysRoundTripElementByElement() async throws {
        let cluster = try requireCluster()
        let pool = try cluster.pool(try await cluster.makeDatabase())
        defer { pool.close() }
        let values = Self.hostile + ["", "NULL", "null", "{a,b}", "a,b", " padded ", "\"\u{301}", "\\\u{301}", "中文，地址", "\\\"",
                                     "🇨🇳👩‍👩‍👧", "tab\tnew\nline"]
        let rows = try await pool.query("SELECT v, n FROM unnest($1::text[]) WITH ORDINALITY AS t(v, n) ORDER BY n", [.textArray(values)])
        XCTAssertEqual(try rows.map { try $0.decode(String.self, at: 0) }, values)
        let empty = try await pool.query("SELECT cardinality($1::text[])", [.textArray([])])
        XCTAssertEqual(try empty[0].decode(Int64.self, at: 0), 0)
    }

    func testStringWithNULIsRejectedNotTruncated() async throws {
        let cluster = try requireCluster()
        let pool = try cluster.pool(cluster.url)
        defer { pool.close() }
        await assertPostgresError(try await pool.query("SELECT $1::text", [.text("admin\u{0}ignored")])) { error in
            XCTAssertEqual(error.kind, .usage)
        }
    }
}
