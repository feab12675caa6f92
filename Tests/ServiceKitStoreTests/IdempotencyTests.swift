import XSCTestSupport
import Foundation
import Postgres
import ProtoCodec
import RPC
import ServiceKitStore
import XCTest

final class IdempotencyTests: XCTestCase {
    private var fixture: StoreFixture!
    private var pool: PostgresPool!
    private let clock = ManualWallClock()
    private var store: IdempotencyStore { IdempotencyStore(clock: clock.now) }

    override func setUp() async throws {
        let service = "orders"
        fixture = try await StoreFixture.make(self, services: [service: [
            Migration(version: 1, name: "orders", sql: "CREATE TABLE orders (id text PRIMARY KEY, body bytea NOT NULL);"),
        ]])
        pool = try fixture.pool(service, maxConnections: 10)
    }

    override func tearDown() async throws {
        fixture?.close()
    }

    /// The business operation under test: creates one order row, answers with its id.
    private func createOrder(key: String, body: String, bodyRuns: Counter? = nil) async throws -> String {
        let store = self.store
        let response = try await pool.transaction { transaction in
            try await store.run(in: transaction, scope: "orders.Create/acct-1", key: key,
                                request: OpaqueMessage(bytes: Array(body.utf8))) {
                bodyRuns?.increment()
                let id = UUID().uuidString
                try await transaction.execute("INSERT INTO orders (id, body) VALUES ($1, $2)", [.text(id), .bytea(Array(body.utf8))])
                return OpaqueMessage(bytes: Array(id.utf8))
            }
        }
        return String(decoding: response.bytes, as: UTF8.self)
    }

    func testFiftyConcurrentReplaysCreateOneRowAndAllGetTheSameAnswer() async throws {
        let bodyRuns = Counter()
        let start = Barrier(count: 50)
        let answers = try await withThrowingTaskGroup(of: String.self) { group in
            for _ in 0..<50 {
                group.addTask {
                    await start.arriveAndWait()
                    return try await self.createOrder(key: "key-50", body: "two pizzas", bodyRuns: bodyRuns)
                }
            }
            var answers: [String] = []
            for try await answer in group { answers.append(answer) }
            return answers
        }
        XCTAssertEqual(answers.count, 50)
        XCTAssertEqual(Set(answers).count, 1, "every replay got the first answer")
        XCTAssertEqual(bodyRuns.current, 1, "the business logic ran once")
        let rows = try await pool.query("SELECT id FROM orders")
        XCTAssertEqual(rows.count, 1)
        XCTAssertEqual(try rows[0].decode(String.self, at: 0), answers[0])
    }

    func testSameKeyWithADifferentRequestIsRejectedWithAStableReason() async throws {
        _ = try await createOrder(key: "key-1", body: "two pizzas")
        do {
            _ = try await createOrder(key: "key-1", body: "three pizzas")
            XCTFail("a changed request was accepted under a used key")
        } catch let error as RPCError {
            XCTAssertEqual(error.code, .failedPrecondition)
            XCTAssertEqual(error.errorInfoReason, StoreErrorReason.idempotencyKeyReused)
            XCTAssertTrue(error.message.contains("different request"), error.message)
        }
        let count = try await pool.count("SELECT count(*) FROM orders")
        XCTAssertEqual(count, 1)
    }

    func testScopesSeparateKeySpaces() async throws {
        let store = self.store
        let request = OpaqueMessage(bytes: Array("same".utf8))
        for scope in ["orders.Create/acct-1", "orders.Create/acct-2"] {
            let claim = try await pool.transaction { transaction in
                try await store.claim(in: transaction, scope: scope, key: "shared-key", request: request.bytes)
            }
            guard case .fresh = claim else { return XCTFail("\(scope): the other account's key leaked in") }
        }
    }

    func testAFailedFirstAttemptLeavesNoKey() async throws {
        let store = self.store
        struct Boom: Error {}
        do {
            _ = try await pool.transaction { transaction in
                try await store.run(in: transaction, scope: "s", key: "k", request: OpaqueMessage(bytes: [1])) { () -> OpaqueMessage in
                    throw Boom()
                }
            }
            XCTFail("expected the body's error")
        } catch is Boom {}
        let keys = try await pool.count("SELECT count(*) FROM xsc_idempotency_keys")
        XCTAssertEqual(keys, 0)
        let bodyRuns = Counter()
        _ = try await createOrder(key: "k-after-failure", body: "x", bodyRuns: bodyRuns)
        XCTAssertEqual(bodyRuns.current, 1)
    }

    func testStoredErrorAnswersAreReplayedAsErrors() async throws {
        let store = self.store
        let request: [UInt8] = [7, 7]
        try await pool.transaction { transaction in
            guard case .fresh(let ticket) = try await store.claim(in: transaction, scope: "s", key: "k", request: request) else {
                return XCTFail("first use should be fresh")
            }
            try await store.record(in: transaction, ticket, answer: .init(status: .outOfRange, message: "too many", response: []))
        }
        do {
            _ = try await pool.transaction { transaction in
                try await store.run(in: transaction, scope: "s", key: "k", request: OpaqueMessage(bytes: request)) { OpaqueMessage() }
            }
            XCTFail("expected the stored error")
        } catch let error as RPCError {
            XCTAssertEqual(error.code, .outOfRange)
            XCTAssertEqual(error.message, "too many")
        }
    }

    func testInvalidKeysAreRejected() async throws {
        let store = self.store
        for key in ["", String(repeating: "k", count: IdempotencyStore.maxKeyLength + 1)] {
            do {
                _ = try await pool.transaction { transaction in
                    try await store.claim(in: transaction, scope: "s", key: key, request: [])
                }
                XCTFail("accepted key of length \(key.count)")
            } catch let error as RPCError {
                XCTAssertEqual(error.code, .invalidArgument)
                XCTAssertEqual(error.errorInfoReason, StoreErrorReason.idempotencyKeyInvalid)
            }
        }
    }

    func testKeysAreKeptForAtLeastADay() async throws {
        _ = try await createOrder(key: "old", body: "x")
        clock.advance(by: .seconds(23 * 3600))
        var purged = try await store.purge(pool: pool, olderThan: .seconds(60)) // asks for less than 24 h
        XCTAssertEqual(purged, 0, "a key younger than 24 h survives whatever retention is asked for")
        clock.advance(by: .seconds(2 * 3600))
        purged = try await store.purge(pool: pool)
        XCTAssertEqual(purged, 1)
        let keys = try await pool.count("SELECT count(*) FROM xsc_idempotency_keys")
        XCTAssertEqual(keys, 0)
    }
}
