import XSCTestSupport
import Postgres
import XCTest

final class TypedRoundTripTests: XCTestCase {
    private var pool: PostgresPool!

    override func setUp() async throws {
        let cluster = try requireCluster()
        pool = try cluster.pool(cluster.url)
    }

    override func tearDown() async throws {
        pool?.close()
    }

    private func single<T: PostgresDecodable>(_ sql: String, _ parameters: [PostgresValue], as type: T.Type) async throws -> T {
        let rows = try await pool.query(sql, parameters)
        XCTAssertEqual(rows.count, 1)
        return try rows[0].decode(T.self, at: 0)
    }

    func testIntegers() async throws {
        for value in [Int64.min, -1, 0, 42, Int64.max] {
            let back = try await single("SELECT $1::int8", [.int64(value)], as: Int64.self)
            XCTAssertEqual(back, value)
        }
        let fromInt4 = try await single("SELECT ($1::int8 + 1)::int4", [.int(41)], as: Int.self)
        XCTAssertEqual(fromInt4, 42)
        let fromInt2 = try await single("SELECT $1::int2", [.int32(-7)], as: Int32.self)
        XCTAssertEqual(fromInt2, -7)
    }

    func testBoolDoubleText() async throws {
        let flag = try await single("SELECT NOT $1::bool", [.bool(false)], as: Bool.self)
        XCTAssertTrue(flag)
        for value in [0.0, -0.0, 1.5, -123456.789e10, Double.infinity, Double.leastNonzeroMagnitude] {
            let back = try await single("SELECT $1::float8", [.double(value)], as: Double.self)
            XCTAssertEqual(back.bitPattern, value.bitPattern)
        }
        let text = "héllo, 世界 🐘 'quoted' \"double\" \\backslash"
        let back = try await single("SELECT $1::text", [.text(text)], as: String.self)
        XCTAssertEqual(back, text)
        let empty = try await single("SELECT $1::text", [.text("")], as: String.self)
        XCTAssertEqual(empty, "")
    }

    func testBytea() async throws {
        let everyByte = (0...255).map(UInt8.init)
        let back = try await single("SELECT $1::bytea", [.bytea(everyByte)], as: [UInt8].self)
        XCTAssertEqual(back, everyByte)
        let empty = try await single("SELECT $1::bytea", [.bytea([])], as: [UInt8].self)
        XCTAssertEqual(empty, [])
        let length = try await single("SELECT length($1::bytea)", [.bytea(everyByte)], as: Int.self)
        XCTAssertEqual(length, 256)
    }

    func testTimestampsAsUnixMillis() async throws {
        for millis: Int64 in [0, 1_763_795_903_123, -1, -86_400_001, 946_684_800_000] {
            let back = try await single("SELECT $1::timestamptz", [.timestampMillis(millis)], as: Int64.self)
            XCTAssertEqual(back, millis)
        }
        let epoch = try await single("SELECT (extract(epoch FROM $1::timestamptz) * 1000)::int8",
                                     [.timestampMillis(1_000_000_000_123)], as: Int64.self)
        XCTAssertEqual(epoch, 1_000_000_000_123)
        let text = try await single("SELECT to_char($1::timestamptz AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.MS')",
                                    [.timestampMillis(1_000_000_000_123)], as: String.self)
        XCTAssertEqual(text, "2001-09-09 01:46:40.123")
    }

    func testNullsAndOptionals() async throws {
        let rows = try await pool.query("SELECT $1::text AS a, $2::int8 AS b, $3::text AS c",
                                        [nil, .null, PostgresValue(Optional<String>.some("x"))])
        XCTAssertNil(try rows[0].decode(String?.self, column: "a"))
        XCTAssertNil(try rows[0].decode(Int64?.self, column: "b"))
        XCTAssertEqual(try rows[0].decode(String?.self, column: "c"), "x")
        XCTAssertThrowsError(try rows[0].decode(String.self, column: "a")) { error in
            XCTAssertEqual((error as? PostgresError)?.kind, .decoding)
        }
    }

    func testOtherServerTypesDecodeToString() async throws {
        let rows = try await pool.query("""
            SELECT '6f1c2a5e-0b7d-4c1e-9a59-3b7f1d2e4c8a'::uuid AS id, 12345.6789::numeric(12,4) AS amount,
                   (-0.5)::numeric AS negative, '{"a": [1, 2]}'::jsonb AS doc, 'abc'::varchar AS v
            """)
        let row = rows[0]
        XCTAssertEqual(try row.decode(String.self, column: "id"), "6f1c2a5e-0b7d-4c1e-9a59-3b7f1d2e4c8a")
        XCTAssertEqual(try row.decode(String.self, column: "amount"), "12345.6789")
        XCTAssertEqual(try row.decode(String.self, column: "negative"), "-0.5")
        XCTAssertEqual(try row.decode(String.self, column: "doc"), #"{"a": [1, 2]}"#)
        XCTAssertEqual(try row.decode(String.self, column: "v"), "abc")
        XCTAssertEqual(row.columns.map(\.name), ["id", "amount", "negative", "doc", "v"])
    }

    func testWrongTypeAndUnknownColumnAreTypedErrors() async throws {
        let rows = try await pool.query("SELECT 'text'::text AS t")
        XCTAssertThrowsError(try rows[0].decode(Int64.self, column: "t")) { error in
            XCTAssertEqual((error as? PostgresError)?.kind, .decoding)
        }
        XCTAssertThrowsError(try rows[0].decode(String.self, column: "missing")) { error in
            XCTAssertEqual((error as? PostgresError)?.kind, .usage)
        }
    }

    func testManyRowsAndAffectedCounts() async throws {
        let rows = try await pool.query("SELECT g, g * 2 AS twice FROM generate_series(1, $1::int8) AS g", [.int(1000)])
        XCTAssertEqual(rows.count, 1000)
        XCTAssertEqual(try rows.map { try $0.decode(Int.self, column: "twice") }.reduce(0, +), 1000 * 1001)
        XCTAssertEqual(rows.affectedRows, 1000)
    }

    func testServerErrorCarriesSQLState() async throws {
        await assertPostgresError(try await pool.query("SELECT 1 / $1::int4", [.int32(0)])) { error in
            XCTAssertEqual(error.kind, .server)
            XCTAssertEqual(error.sqlState, "22012")
            XCTAssertEqual(error.severity, "ERROR")
            XCTAssertFalse(error.isConnectionLevel)
        }
        await assertPostgresError(try await pool.query("SELEC nonsense")) { error in
            XCTAssertEqual(error.sqlState, "42601")
        }
        // The connection is still good after statement errors.
        let one = try await single("SELECT $1::int8", [1], as: Int64.self)
        XCTAssertEqual(one, 1)
    }
}
