import XSCTestSupport
import Postgres
import XCTest

/// The parameters of a whole pipeline encoded into one buffer (`PipelineParameters`): every
/// statement must get exactly its own values, an empty binary value must stay non-NULL, and
/// prepared statements must be told apart by parameter types.
final class PipelineParameterTests: XCTestCase {
    private var pool: PostgresPool!

    override func setUp() async throws {
        let cluster = try requireCluster()
        pool = try cluster.pool(cluster.url)
    }

    override func tearDown() async throws {
        pool?.close()
    }

    func testEachStatementOfAPipelineGetsItsOwnParameters() async throws {
        let results = try await pool.run([
            PostgresStatement("SELECT $1::text || '/' || $2::int8::text", [.text("a"), .int64(-5)]),
            PostgresStatement("SELECT 'none'"),
            PostgresStatement("SELECT $1::bytea IS NULL, length($1::bytea), $2::text IS NULL, $3::bool, $4::float8",
                              [.bytea([]), .null, .bool(true), .double(2.5)]),
            PostgresStatement("SELECT $1::text || $2::text || $3::text", [.text(""), .text("世界"), .text("z")]),
        ])
        XCTAssertEqual(try results[0][0].decode(String.self, at: 0), "a/-5")
        XCTAssertEqual(try results[1][0].decode(String.self, at: 0), "none")
        XCTAssertEqual(try results[2][0].decode(Bool.self, at: 0), false, "an empty bytea is a value, not NULL")
        XCTAssertEqual(try results[2][0].decode(Int.self, at: 1), 0)
        XCTAssertEqual(try results[2][0].decode(Bool.self, at: 2), true)
        XCTAssertEqual(try results[2][0].decode(Bool.self, at: 3), true)
        XCTAssertEqual(try results[2][0].decode(Double.self, at: 4), 2.5)
        XCTAssertEqual(try results[3][0].decode(String.self, at: 0), "世界z")
    }

    func testAPipelineOfOnlyEmptyAndNullValues() async throws {
        let rows = try await pool.query("SELECT $1::bytea IS NULL, $2::bytea IS NULL, $3::text", [.bytea([]), .null, .text("")])
        XCTAssertEqual(try rows[0].decode(Bool.self, at: 0), false)
        XCTAssertEqual(try rows[0].decode(Bool.self, at: 1), true)
        XCTAssertEqual(try rows[0].decode(String.self, at: 2), "")
    }

    func testSameSQLWithOtherParameterTypesIsPreparedApart() async throws {
        let sql = "SELECT $1::int8 IS NULL"
        for _ in 0..<3 {
            let results = try await pool.run([PostgresStatement(sql, [.int64(1)]), PostgresStatement(sql, [.null]),
                                              PostgresStatement(sql, [.int64(2)])])
            XCTAssertEqual(try results.map { try $0[0].decode(Bool.self, at: 0) }, [false, true, false])
        }
    }

    func testIntegerArraysOfEveryElementType() async throws {
        let ints: [Int] = [0, -1, 42, Int(Int32.max) + 1]
        let int32s: [Int32] = [Int32.min, 7]
        let int64s: [Int64] = [Int64.min, Int64.max, 10]
        let rows = try await pool.query("SELECT array_to_string($1::bigint[], ','), array_to_string($2::int[], ','), "
                                        + "array_to_string($3::bigint[], ','), cardinality($4::int[])",
                                        [.integerArray(ints), .integerArray(int32s), .integerArray(int64s), .integerArray([Int]())])
        XCTAssertEqual(try rows[0].decode(String.self, at: 0), ints.map(String.init).joined(separator: ","))
        XCTAssertEqual(try rows[0].decode(String.self, at: 1), int32s.map(String.init).joined(separator: ","))
        XCTAssertEqual(try rows[0].decode(String.self, at: 2), int64s.map(String.init).joined(separator: ","))
        XCTAssertEqual(try rows[0].decode(Int.self, at: 3), 0)
        let unsigned: [UInt64] = [UInt64.max]
        XCTAssertEqual(PostgresValue.integerArray(unsigned), .text("{18446744073709551615}"))
    }

    func testANulInTextFailsThatCallAndTheNextOneWorks() async throws {
        do {
            _ = try await pool.query("SELECT $1::text, $2::text", [.text("fine"), .text("a\u{0}b")])
            XCTFail("a NUL character must be refused")
        } catch let error as PostgresError {
            XCTAssertTrue(error.message.contains("$2"), error.message)
        }
        let rows = try await pool.query("SELECT $1::text", [.text("after")])
        XCTAssertEqual(try rows[0].decode(String.self, at: 0), "after")
    }

    func testColumnsByNameInNarrowAndWideResults() async throws {
        let narrow = try await pool.query("SELECT 1 AS a, 2 AS b, 3 AS a")
        XCTAssertEqual(try narrow[0].decode(Int.self, column: "a"), 1, "the first column of a name")
        XCTAssertEqual(try narrow[0].decode(Int.self, column: "b"), 2)
        let names = (1...12).map { "c\($0)" }
        let wide = try await pool.query("SELECT " + names.enumerated().map { "g + \($0.offset) AS \($0.element)" }.joined(separator: ", ")
                                        + ", 0 AS c3 FROM generate_series(0, 2) AS g")
        XCTAssertEqual(wide.count, 3)
        for (row, base) in zip(wide, 0...) {
            for (offset, name) in names.enumerated() {
                XCTAssertEqual(try row.decode(Int.self, column: name), base + offset)
            }
        }
        XCTAssertThrowsError(try wide[0].decode(Int.self, column: "missing"))
        XCTAssertThrowsError(try narrow[0].decode(Int.self, column: "missing"))
    }

    /// A refused value is named by its $n in the statement that carries it - in a fused
    /// statement, its position after the parts before it - and nothing of the pipeline is sent.
    func testARefusedValueIsNamedByItsPositionAndNothingIsSent() async throws {
        await assertPostgresError(try await pool.run([
            PostgresStatement("SELECT $1::text, $2::text", [.text("fine"), .text("a\u{0}b")]),
        ])) { error in
            XCTAssertEqual(error.kind, .usage)
            XCTAssertTrue(error.message.contains("$2"), error.message)
        }
        var fusion = StatementFusion()
        fusion.append(PostgresStatement("SELECT $1::int8 AS n, $2::text AS t", [.int64(1), .text("x")]), as: "first")
        fusion.append(PostgresStatement("SELECT $1::timestamptz, $2::int8", [.timestampMillis(.max), .int64(2)]))
        await assertPostgresError(try await pool.run([fusion.statement()!])) { error in
            XCTAssertEqual(error.kind, .usage)
            XCTAssertTrue(error.message.contains("$3"), error.message)
        }
        // The pool's connection is still fine, its parameters were not half-sent.
        let rows = try await pool.query("SELECT $1::text || $2::int8::text", [.text("ok"), .int64(7)])
        XCTAssertEqual(try rows[0].decode(String.self, at: 0), "ok7")
    }
}
