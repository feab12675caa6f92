import XSCTestSupport
import Postgres
import Synchronization
import XCTest

/// `PostgresStatement.commitNote`: the pool's observer hears of a statement once its
/// transaction committed, and never of one that rolled back (what lets the outbox hand a fresh
/// row to its relay without claiming it).
final class CommitNoteTests: XCTestCase {
    private var pool: PostgresPool!
    private final class Heard: Sendable {
        let notes = Mutex<[[String]]>([])
        func record(_ notes: [any Sendable]) { self.notes.withLock { $0.append(notes.map { "\($0)" }) } }
    }
    private let heard = Heard()

    override func setUp() async throws {
        let cluster = try requireCluster()
        pool = try cluster.pool(try await cluster.makeDatabase())
        try await pool.execute("CREATE TABLE t (id int PRIMARY KEY)")
        let heard = self.heard
        pool.observeCommits { notes in heard.record(notes) }
    }

    override func tearDown() async throws {
        pool?.close()
    }

    private func insert(_ id: Int, note: String) -> PostgresStatement {
        PostgresStatement("INSERT INTO t VALUES ($1)", [.int(id)], commitNote: note)
    }

    private var notes: [[String]] { heard.notes.withLock { $0 } }

    func testAnImplicitTransactionIsHeardOnceAfterItCommitted() async throws {
        try await pool.run([insert(1, note: "a"), PostgresStatement("SELECT 1"), insert(2, note: "b")])
        XCTAssertEqual(notes, [["a", "b"]])
        try await pool.run([PostgresStatement("SELECT 1")])
        XCTAssertEqual(notes, [["a", "b"]], "a pipeline without notes tells nothing")
    }

    func testAFailedPipelineIsNeverHeard() async throws {
        do {
            try await pool.run([insert(3, note: "kept?"), insert(3, note: "duplicate")])
            XCTFail("expected a unique violation")
        } catch {}
        XCTAssertEqual(notes, [])
        let rows = try await pool.query("SELECT count(*) FROM t")[0].decode(Int.self, at: 0)
        XCTAssertEqual(rows, 0)
    }

    func testAnExplicitTransactionIsHeardAtCommitWithTheNotesOfAllItsRoundTrips() async throws {
        try await pool.transaction { tx in
            try await tx.run([insert(1, note: "first")])
            XCTAssertEqual(self.notes, [], "nothing before COMMIT")
            try await tx.run([insert(2, note: "second")])
        }
        XCTAssertEqual(notes, [["first", "second"]])
        try await pool.transaction(batch: [insert(3, note: "batch")])
        XCTAssertEqual(notes, [["first", "second"], ["batch"]])
    }

    func testARolledBackTransactionIsNeverHeard() async throws {
        struct Abort: Error {}
        do {
            try await pool.transaction { tx in
                try await tx.run([insert(1, note: "rolled back")])
                throw Abort()
            }
        } catch is Abort {}
        // The connection goes back to the pool and is used again: no stale notes come along.
        try await pool.run([insert(2, note: "later")])
        XCTAssertEqual(notes, [["later"]])
    }

    func testASavepointRolledBackDropsTheWholeTransactionsNotes() async throws {
        try await pool.transaction { tx in
            try await tx.run([insert(1, note: "before"), PostgresStatement("SAVEPOINT s", prepared: false)])
            try await tx.run([insert(2, note: "undone")])
            try await tx.run([PostgresStatement("ROLLBACK TO SAVEPOINT s", prepared: false)])
        }
        let rows = try await pool.query("SELECT count(*) FROM t")[0].decode(Int.self, at: 0)
        XCTAssertEqual(rows, 1, "the row before the savepoint committed")
        XCTAssertEqual(notes, [], "conservative: a rolled-back savepoint drops every note (the row's owner finds it later)")
    }

    func testACommitThatRolledBackIsNeverHeard() async throws {
        try? await pool.withConnection { connection in
            try await connection.run([PostgresStatement("BEGIN", prepared: false)])
            try await connection.run([insert(1, note: "doomed")])
            _ = try? await connection.run([PostgresStatement("SELECT 1/0")])
            try await connection.run([PostgresStatement("COMMIT", prepared: false)])
        }
        XCTAssertEqual(notes, [])
    }

    func testWithoutAnObserverNothingIsKept() async throws {
        pool.observeCommits(nil)
        try await pool.run([insert(1, note: "unheard")])
        let heard = self.heard
        pool.observeCommits { notes in heard.record(notes) }
        try await pool.run([insert(2, note: "heard")])
        XCTAssertEqual(notes, [["heard"]])
    }
}
