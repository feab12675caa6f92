import XSCTestSupport
import Postgres
import XCTest

/// `StatementFusion`: several INSERTs as one statement, parameters renumbered, notes kept, and
/// atomic (a unique violation in any part writes nothing).
final class StatementFusionTests: XCTestCase {
    private var pool: PostgresPool!

    override func setUp() async throws {
        let cluster = try requireCluster()
        pool = try cluster.pool(try await cluster.makeDatabase())
        try await pool.execute("CREATE TABLE parent (id text PRIMARY KEY, label text NOT NULL)")
        try await pool.execute("CREATE TABLE child (parent_id text NOT NULL, n int NOT NULL, note text NOT NULL)")
        try await pool.execute("CREATE TABLE ticket (key text PRIMARY KEY, answer bytea NOT NULL)")
    }

    override func tearDown() async throws { pool?.close() }

    func testAShapeIsFusedOnceAndItsTextReusedWithEachCallsParameters() throws {
        let shapes = StatementFusion.Shapes()
        func fused(_ first: Int, _ second: Int, lines: Int) throws -> PostgresStatement {
            var fusion = StatementFusion(shapes: shapes)
            fusion.append(PostgresStatement("INSERT INTO a VALUES ($1) RETURNING id", [.int(first)]), as: "first")
            for line in 0..<lines {
                fusion.append(PostgresStatement("INSERT INTO b SELECT first.id, $1 FROM first", [.int(second + line)]))
            }
            return try XCTUnwrap(fusion.statement())
        }
        func plain(_ first: Int, _ second: Int, lines: Int) throws -> PostgresStatement {
            var fusion = StatementFusion()
            fusion.append(PostgresStatement("INSERT INTO a VALUES ($1) RETURNING id", [.int(first)]), as: "first")
            for line in 0..<lines {
                fusion.append(PostgresStatement("INSERT INTO b SELECT first.id, $1 FROM first", [.int(second + line)]))
            }
            return try XCTUnwrap(fusion.statement())
        }
        let one = try fused(1, 10, lines: 2)
        let again = try fused(2, 20, lines: 2)
        XCTAssertEqual(shapes.count, 1, "the same parts: one text")
        XCTAssertEqual(again.sql, one.sql)
        XCTAssertEqual(again.sql, try plain(2, 20, lines: 2).sql, "the kept text is what fusing makes")
        XCTAssertEqual(again.parameters, [2, 20, 21], "each call's own parameters, in order")
        let longer = try fused(3, 30, lines: 3)
        XCTAssertEqual(shapes.count, 2, "another number of parts is another shape")
        XCTAssertEqual(longer.sql, try plain(3, 30, lines: 3).sql)
        XCTAssertEqual(longer.parameters, [3, 30, 31, 32])

        let small = StatementFusion.Shapes(limit: 2)
        for lines in 1...3 {
            var fusion = StatementFusion(shapes: small)
            for line in 0..<lines { fusion.append(PostgresStatement("INSERT INTO b VALUES ($1)", [.int(line)])) }
            _ = fusion.statement()
        }
        XCTAssertEqual(small.count, 1, "past its limit the cache starts again")
    }

    func testParametersAreRenumberedPastTheEarlierPartsOnly() throws {
        var fusion = StatementFusion()
        fusion.append(PostgresStatement("INSERT INTO a VALUES ($1, $2, '$1 stays', \"odd$1\") RETURNING id", [1, 2]), as: "first")
        fusion.append(PostgresStatement("""
            INSERT INTO b SELECT first.id, $1, x$1 FROM first -- a comment's $2 stays
            """, [3]))
        fusion.append(PostgresStatement("INSERT INTO c VALUES ($2, $1, 'it''s $1')", [4, 5]))
        let statement = try XCTUnwrap(fusion.statement())
        XCTAssertEqual(statement.sql, """
            WITH first AS (
            INSERT INTO a VALUES ($1, $2, '$1 stays', "odd$1") RETURNING id
            ),
            fused_1 AS (
            INSERT INTO b SELECT first.id, $3, x$1 FROM first -- a comment's $2 stays
            )
            INSERT INTO c VALUES ($5, $4, 'it''s $1')
            """)
        XCTAssertEqual(statement.parameters, [1, 2, 3, 4, 5])
        XCTAssertNil(StatementFusion().statement())
        var alone = StatementFusion()
        alone.append(PostgresStatement("INSERT INTO c VALUES ($1)", [9], commitNote: "n"))
        XCTAssertEqual(alone.statement()?.sql, "INSERT INTO c VALUES ($1)", "one part is the statement itself")
        XCTAssertEqual(alone.statement()?.commitNote as? String, "n")
    }

    private func parts(parent: String, key: String) -> StatementFusion {
        var fusion = StatementFusion()
        fusion.append(PostgresStatement("INSERT INTO parent VALUES ($1, $2) RETURNING id", [.text(parent), .text("p")],
                                        commitNote: "parent"), as: "new_parent")
        fusion.append(PostgresStatement("""
            INSERT INTO child SELECT new_parent.id, n, $2 FROM new_parent, unnest($1::int[]) AS n
            """, [.integerArray([1, 2, 3]), .text("c")], commitNote: "children"))
        fusion.append(PostgresStatement("INSERT INTO ticket VALUES ($1, $2)", [.text(key), .bytea([1, 2])],
                                        commitNote: "ticket"))
        return fusion
    }

    private func count(_ table: String) async throws -> Int {
        try await pool.query("SELECT count(*) FROM \(table)")[0].decode(Int.self, at: 0)
    }

    func testOneStatementWritesEveryPartAndCarriesEveryNote() async throws {
        let statement = try XCTUnwrap(parts(parent: "p1", key: "k1").statement())
        let notes = CommitNoteList.flattened([try XCTUnwrap(statement.commitNote)]).map { "\($0)" }
        XCTAssertEqual(notes, ["parent", "children", "ticket"])
        try await pool.run([statement])
        let children = try await pool.query("SELECT parent_id, n, note FROM child ORDER BY n")
        XCTAssertEqual(try children.map { try $0.decode(String.self, at: 0) + "/\(try $0.decode(Int.self, at: 1))/" + $0.decode(String.self, at: 2) },
                       ["p1/1/c", "p1/2/c", "p1/3/c"])
        let tickets = try await count("ticket")
        XCTAssertEqual(tickets, 1)
    }

    func testAUniqueViolationInAnyPartWritesNothing() async throws {
        try await pool.run([try XCTUnwrap(parts(parent: "p1", key: "k1").statement())])
        for (parent, key) in [("p2", "k1"), ("p1", "k2")] {
            do {
                try await pool.run([try XCTUnwrap(parts(parent: parent, key: key).statement())])
                XCTFail("expected a unique violation for \(parent)/\(key)")
            } catch let error as PostgresError {
                XCTAssertTrue(error.isUniqueViolation, "\(error)")
                XCTAssertEqual(error.constraint, parent == "p2" ? "ticket_pkey" : "parent_pkey")
            }
        }
        let parents = try await count("parent"), children = try await count("child"), tickets = try await count("ticket")
        XCTAssertEqual([parents, children, tickets], [1, 3, 1], "the failed statements left no row of any part")
    }
}
