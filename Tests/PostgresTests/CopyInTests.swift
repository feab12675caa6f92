import XSCTestSupport
import Postgres
import XCTest

/// COPY ... FROM STDIN through the pool against the real server: the rows arrive byte for byte,
/// bad data fails the COPY (and its transaction) and the same connection serves the next call,
/// and a COPY of megabytes goes through libpq's non-blocking buffer in pieces.
final class CopyInTests: XCTestCase {
    private var pool: PostgresPool!

    override func setUp() async throws {
        let cluster = try requireCluster()
        // One connection: every call below meets the connection the COPY used.
        pool = try cluster.pool(try await cluster.makeDatabase()) { $0.maxConnections = 1 }
        try await pool.execute("CREATE TABLE people (id bigint PRIMARY KEY, name text, note text, age int)")
    }

    override func tearDown() async throws {
        pool?.close()
    }

    private func backendPID() async throws -> Int32 {
        try await pool.query("SELECT pg_backend_pid()")[0].decode(Int32.self, at: 0)
    }

    private static let hostile = ["tab\there", "line\nbreak", "cr\rlf\r\n", "back\\slash \\N \\t", "\\", "重庆市 渝中区 解放碑1号",
                                  "NULL", "", "quote ' and \" and ,comma", "e\u{301} combining", "🙂"]

    func testRowsArriveByteForByteWithNulls() async throws {
        var rows = CopyTextRows()
        for (index, text) in Self.hostile.enumerated() {
            rows.append(index)
            rows.append(text)
            if index % 2 == 0 { rows.appendNull() } else { rows.append(text + text) }
            rows.append(Int32(-index))
            rows.endRow()
        }
        let stored = try await pool.transaction { tx in
            try await tx.copyIn("COPY people (id, name, note, age) FROM STDIN", rows: rows)
        }
        XCTAssertEqual(stored, Self.hostile.count)
        let back = try await pool.query("SELECT id, name, note, age FROM people ORDER BY id")
        XCTAssertEqual(back.count, Self.hostile.count)
        for (index, row) in back.enumerated() {
            XCTAssertEqual(try row.decode(Int64.self, at: 0), Int64(index))
            XCTAssertEqual(try row.decode(String.self, at: 1), Self.hostile[index])
            XCTAssertEqual(try row.decode(String?.self, at: 2), index % 2 == 0 ? nil : Self.hostile[index] + Self.hostile[index])
            XCTAssertEqual(try row.decode(Int32.self, at: 3), Int32(-index))
        }
    }

    func testBadDataFailsTheCopyAndTheConnectionServesTheNextCall() async throws {
        var rows = CopyTextRows()
        rows.append(1); rows.append("a"); rows.append("b"); rows.append(30); rows.endRow()
        rows.append(2); rows.append("c"); rows.append("d"); rows.append("not a number"); rows.endRow()
        var duplicate = CopyTextRows()
        for id in [7, 8, 7] { duplicate.append(id); duplicate.append("x"); duplicate.appendNull(); duplicate.appendNull(); duplicate.endRow() }
        var good = CopyTextRows()
        good.append(1); good.append("a"); good.append("b"); good.append(30); good.endRow()

        // On one lease (one connection, no transaction to roll back between the calls): bad
        // data, a duplicate key (checked as rows are stored), an unknown table (refused before
        // any data) and too many fields each fail their COPY alone, and the same backend then
        // stores a good COPY and answers a query.
        let (pids, stored) = try await pool.withConnection { connection -> ([Int32], Int) in
            var pids = [try await connection.query("SELECT pg_backend_pid()")[0].decode(Int32.self, at: 0)]
            for (sql, data, state) in [("COPY people (id, name, note, age) FROM STDIN", rows, "22P02"),
                                       ("COPY people (id, name, note, age) FROM STDIN", duplicate, "23505"),
                                       ("COPY nobody (id) FROM STDIN", duplicate, "42P01"),
                                       ("COPY people (id) FROM STDIN", duplicate, "22P04")] {
                await XCTAssertThrowsPostgres(sqlState: state) { try await connection.copyIn(sql, rows: data) }
                pids.append(try await connection.query("SELECT pg_backend_pid()")[0].decode(Int32.self, at: 0))
            }
            let stored = try await connection.copyIn("COPY people (id, name, note, age) FROM STDIN", rows: good)
            pids.append(try await connection.query("SELECT pg_backend_pid()")[0].decode(Int32.self, at: 0))
            return (pids, stored)
        }
        XCTAssertEqual(Set(pids).count, 1, "one backend throughout: \(pids)")
        XCTAssertEqual(stored, 1)
        let count = try await pool.query("SELECT count(*) FROM people")[0].decode(Int64.self, at: 0)
        XCTAssertEqual(count, 1, "only the good COPY stored anything")

        // In a transaction the failed COPY fails the transaction: the statement before it is
        // rolled back too, and the pool serves the next call.
        do {
            try await pool.transaction { tx in
                try await tx.execute("INSERT INTO people (id, name) VALUES (100, 'before the copy')")
                try await tx.copyIn("COPY people (id, name, note, age) FROM STDIN", rows: rows)
            }
            XCTFail("the second row's age is not an integer")
        } catch let error as PostgresError {
            XCTAssertEqual(error.kind, .server, "\(error)")
            XCTAssertEqual(error.sqlState, "22P02", "\(error)")
        }
        let after = try await pool.query("SELECT count(*) FROM people")[0].decode(Int64.self, at: 0)
        XCTAssertEqual(after, 1, "the transaction rolled back, the statement before the COPY with it")
    }

    func testStagingTableBeforeTheCopyAndRollback() async throws {
        let staging = PostgresStatement("CREATE TEMP TABLE IF NOT EXISTS staging (id bigint, name text) ON COMMIT DELETE ROWS", prepared: false)
        for round in 0..<3 {
            var rows = CopyTextRows()
            for id in 0..<5 { rows.append(round * 10 + id); rows.append("r\(round)"); rows.endRow() }
            try await pool.transaction { tx in
                try await tx.copyIn("COPY staging (id, name) FROM STDIN", rows: rows, before: [staging])
                let moved = try await tx.execute("INSERT INTO people (id, name) SELECT id, name FROM staging WHERE id % 2 = 0")
                XCTAssertEqual(moved, 3, "only this transaction's rows are in the staging table")
            }
        }
        let count = try await pool.query("SELECT count(*) FROM people")[0].decode(Int64.self, at: 0)
        XCTAssertEqual(count, 9)
        var rows = CopyTextRows()
        rows.append(1000); rows.append("rolled back"); rows.endRow()
        struct Abandon: Error {}
        do {
            try await pool.transaction { tx in
                try await tx.copyIn("COPY people (id, name) FROM STDIN", rows: rows)
                throw Abandon()
            }
        } catch is Abandon {}
        let after = try await pool.query("SELECT count(*) FROM people WHERE id = 1000")[0].decode(Int64.self, at: 0)
        XCTAssertEqual(after, 0)
    }

    func testALargeCopyGoesThroughInPieces() async throws {
        let count = 200_000
        var rows = CopyTextRows(reservingBytes: count * 64)
        for id in 0..<count {
            rows.append(id)
            rows.append("客户\(id)\t名字")
            rows.append(String(repeating: "n", count: id % 50))
            rows.append(Int32(id % 100))
            rows.endRow()
        }
        XCTAssertGreaterThan(rows.bytes.count, 8 * 1024 * 1024, "several MB: many calls of PQputCopyData, some meeting a full buffer")
        let stored = try await pool.transaction { tx in try await tx.copyIn("COPY people (id, name, note, age) FROM STDIN", rows: rows) }
        XCTAssertEqual(stored, count)
        let summary = try await pool.query("SELECT count(*), sum(age)::int8, sum(length(note))::int8, (SELECT name FROM people WHERE id = 123456) FROM people")[0]
        XCTAssertEqual(try summary.decode(Int64.self, at: 0), Int64(count))
        XCTAssertEqual(try summary.decode(Int64.self, at: 1), Int64((0..<count).reduce(0) { $0 + $1 % 100 }))
        XCTAssertEqual(try summary.decode(Int64.self, at: 2), Int64((0..<count).reduce(0) { $0 + $1 % 50 }))
        XCTAssertEqual(try summary.decode(String.self, at: 3), "客户123456\t名字")
    }
}

private func XCTAssertThrowsPostgres<T>(sqlState: String, file: StaticString = #filePath, line: UInt = #line,
                                        _ body: () async throws -> T) async {
    do {
        _ = try await body()
        XCTFail("expected SQLSTATE \(sqlState)", file: file, line: line)
    } catch let error as PostgresError {
        XCTAssertEqual(error.sqlState, sqlState, "\(error)", file: file, line: line)
        XCTAssertFalse(error.isConnectionLevel, "\(error)", file: file, line: line)
    } catch {
        XCTFail("\(error)", file: file, line: line)
    }
}
