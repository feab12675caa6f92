import XSCTestSupport
import Postgres
import XCTest

final class TransactionTests: XCTestCase {
    private var pool: PostgresPool!

    override func setUp() async throws {
        let cluster = try requireCluster()
        pool = try cluster.pool(try await cluster.makeDatabase()) { $0.transactionMaxAttempts = 4 }
        try await pool.execute("CREATE TABLE ledger (id bigint PRIMARY KEY, class int NOT NULL, amount bigint NOT NULL)")
        // Raises the named condition (serialization_failure, deadlock_detected) for real, so
        // the client sees exactly what the server sends in a genuine conflict.
        try await pool.execute("""
            CREATE FUNCTION xsc_raise(condition text) RETURNS void LANGUAGE plpgsql AS $$
            BEGIN
                RAISE EXCEPTION 'forced %', condition USING ERRCODE = condition;
            END $$
            """)
    }

    override func tearDown() async throws {
        pool?.close()
    }

    private func count() async throws -> Int64 {
        try await pool.query("SELECT count(*) FROM ledger")[0].decode(Int64.self, at: 0)
    }

    func testRunAndCommitSendsTheLastStatementsWithCommit() async throws {
        let results = try await pool.transaction { tx in
            try await tx.execute("INSERT INTO ledger VALUES ($1, 1, $2)", [1, 100])
            return try await tx.runAndCommit([
                PostgresStatement("INSERT INTO ledger VALUES ($1, 1, $2)", [2, 200]),
                PostgresStatement("SELECT sum(amount)::int8 FROM ledger"),
            ])
        }
        XCTAssertEqual(results.count, 2, "one result per statement, none for COMMIT")
        XCTAssertEqual(try results[1][0].decode(Int64.self, at: 0), 300)
        let total = try await count()
        XCTAssertEqual(total, 2)
    }

    func testRunAndCommitWithAFailingStatementCommitsNothing() async throws {
        do {
            try await pool.transaction { tx in
                try await tx.execute("INSERT INTO ledger VALUES ($1, 1, $2)", [1, 100])
                try await tx.runAndCommit([
                    PostgresStatement("INSERT INTO ledger VALUES ($1, 1, $2)", [2, 200]),
                    PostgresStatement("INSERT INTO ledger VALUES ($1, 1, $2)", [2, 300]),  // duplicate key
                    PostgresStatement("INSERT INTO ledger VALUES ($1, 1, $2)", [3, 400]),
                ])
            }
            XCTFail("the duplicate key must fail the transaction")
        } catch let error as PostgresError {
            XCTAssertTrue(error.isUniqueViolation, "\(error)")
        }
        let total = try await count()
        XCTAssertEqual(total, 0, "the first INSERT, before the pipeline, is rolled back too")
        // The connection is clean for the next caller.
        let afterwards = try await pool.transaction { tx in try await tx.query("SELECT 1")[0].decode(Int.self, at: 0) }
        XCTAssertEqual(afterwards, 1)
    }

    func testNothingRunsAfterRunAndCommit() async throws {
        do {
            try await pool.transaction { tx in
                try await tx.runAndCommit([PostgresStatement("INSERT INTO ledger VALUES ($1, 1, $2)", [1, 100])])
                try await tx.execute("INSERT INTO ledger VALUES ($1, 1, $2)", [2, 200])
            }
            XCTFail("a statement after runAndCommit must be refused")
        } catch let error as PostgresError {
            XCTAssertEqual(error.kind, .usage)
        }
        let total = try await count()
        XCTAssertEqual(total, 1, "what runAndCommit committed stays")
    }

    func testCommitMakesRowsVisible() async throws {
        let inserted = try await pool.transaction { tx in
            try await tx.execute("INSERT INTO ledger VALUES ($1, 1, $2)", [1, 100])
            try await tx.execute("INSERT INTO ledger VALUES ($1, 1, $2)", [2, 200])
            return try await tx.query("SELECT sum(amount)::int8 FROM ledger")[0].decode(Int64.self, at: 0)
        }
        XCTAssertEqual(inserted, 300)
        let total = try await count()
        XCTAssertEqual(total, 2)
    }

    struct Abort: Error {}

    func testThrownErrorRollsBack() async throws {
        do {
            try await pool.transaction { tx in
                try await tx.execute("INSERT INTO ledger VALUES ($1, 1, $2)", [1, 100])
                throw Abort()
            }
            XCTFail("expected the body's error")
        } catch is Abort {}
        let total = try await count()
        XCTAssertEqual(total, 0)
    }

    func testStatementErrorRollsBackEarlierStatements() async throws {
        await assertPostgresError(try await self.pool.transaction { tx in
            try await tx.execute("INSERT INTO ledger VALUES ($1, 1, $2)", [1, 100])
            try await tx.execute("INSERT INTO ledger VALUES ($1, 1, $2)", [1, 100])
        }) { error in
            XCTAssertTrue(error.isUniqueViolation, "\(error)")
        }
        let total = try await count()
        XCTAssertEqual(total, 0)
    }

    func testSwallowedStatementErrorMakesCommitFail() async throws {
        await assertPostgresError(try await self.pool.transaction { tx in
            try await tx.execute("INSERT INTO ledger VALUES ($1, 1, $2)", [1, 100])
            _ = try? await tx.execute("INSERT INTO ledger VALUES ($1, 1, $2)", [1, 100])
        }) { error in
            XCTAssertEqual(error.sqlState, "25P02")
        }
        let total = try await count()
        XCTAssertEqual(total, 0)
    }

    /// The server raises a genuine 40001 on the first attempt only: the first attempt's
    /// insert must vanish and the second must commit.
    func testForcedSerializationFailureIsRetried() async throws {
        try await assertRetried(sqlState: "serialization_failure")
    }

    func testForcedDeadlockIsRetried() async throws {
        try await assertRetried(sqlState: "deadlock_detected")
    }

    private func assertRetried(sqlState conditionName: String) async throws {
        let attempts = Counter()
        try await pool.transaction { tx in
            let attempt = attempts.increment()
            try await tx.execute("INSERT INTO ledger VALUES ($1, 1, $2)", [.int(10), .int(attempt)])
            if attempt == 1 {
                // The condition name is chosen by the test, not by any input.
                try await tx.query("SELECT xsc_raise($1)", [.text(conditionName)])
            }
        }
        XCTAssertEqual(attempts.current, 2)
        let rows = try await pool.query("SELECT amount FROM ledger WHERE id = 10")
        XCTAssertEqual(rows.count, 1)
        XCTAssertEqual(try rows[0].decode(Int64.self, at: 0), 2)
    }

    func testRetriesAreBounded() async throws {
        let attempts = Counter()
        await assertPostgresError(try await self.pool.transaction { tx in
            attempts.increment()
            try await tx.query("SELECT xsc_raise($1)", ["serialization_failure"])
        }) { error in
            XCTAssertEqual(error.sqlState, "40001")
        }
        XCTAssertEqual(attempts.current, 4)
    }

    /// A real write-skew conflict between two SERIALIZABLE transactions: both read, then both
    /// write. PostgreSQL must abort one with 40001; the pool retries it and both commit.
    func testRealSerializationConflictIsRetried() async throws {
        try await pool.execute("INSERT INTO ledger VALUES (1, 1, 10), (2, 2, 20)")
        let bothRead = Barrier(count: 2)
        let attempts = Counter()
        let pool = self.pool!
        @Sendable func skew(readClass: Int, writeClass: Int, id: Int) async throws {
            var attempt = 0
            try await pool.transaction(isolation: .serializable) { tx in
                attempt += 1
                attempts.increment()
                let sum = try await tx.query("SELECT coalesce(sum(amount), 0)::int8 FROM ledger WHERE class = $1",
                                             [.int(readClass)])[0].decode(Int64.self, at: 0)
                if attempt == 1 { await bothRead.arriveAndWait() }
                try await tx.execute("INSERT INTO ledger VALUES ($1, $2, $3)", [.int(id), .int(writeClass), .int64(sum)])
            }
        }
        async let first: Void = skew(readClass: 1, writeClass: 2, id: 100)
        async let second: Void = skew(readClass: 2, writeClass: 1, id: 200)
        _ = try await (first, second)
        XCTAssertGreaterThanOrEqual(attempts.current, 3, "one of the two must have been retried")
        let total = try await count()
        XCTAssertEqual(total, 4)
    }

    func testBatchTransactionIsOneAllOrNothingUnit() async throws {
        await assertPostgresError(try await self.pool.transaction(batch: [
            PostgresStatement("INSERT INTO ledger VALUES ($1, 1, 1)", [1]),
            PostgresStatement("INSERT INTO ledger VALUES ($1, 1, 1)", [1]),
        ])) { error in
            XCTAssertTrue(error.isUniqueViolation)
        }
        var total = try await count()
        XCTAssertEqual(total, 0)
        let results = try await pool.transaction(batch: [
            PostgresStatement("INSERT INTO ledger VALUES ($1, 1, 1)", [1]),
            PostgresStatement("INSERT INTO ledger VALUES ($1, 1, 1) RETURNING id", [2]),
        ])
        XCTAssertEqual(results.count, 2)
        XCTAssertEqual(try results[1][0].decode(Int64.self, at: 0), 2)
        total = try await count()
        XCTAssertEqual(total, 2)
    }

    func testDeadlineBecomesLocalStatementTimeout() async throws {
        let setting = try await pool.transaction(deadline: .now + .seconds(20)) { tx in
            try await tx.query("SELECT current_setting('statement_timeout')")[0].decode(String.self, at: 0)
        }
        XCTAssertNotEqual(setting, "0", "a deadline must become a statement_timeout")
    }
}
