import Postgres
import RPC
import XCTest
@testable import ServiceKitStore

/// What callers are told about database failures: retryable statuses for outages and
/// conflicts, and never the server's own text.
final class PostgresErrorStatusTests: XCTestCase {
    func testEachKindOfFailureMapsToAStatusACallerCanActOn() {
        let cases: [(PostgresError, StatusCode)] = [
            (PostgresError(.unavailable, "could not connect to server"), .unavailable),
            (PostgresError(.connection, "server closed the connection unexpectedly"), .unavailable),
            (PostgresError(.poolExhausted, "no connection within 5 s"), .unavailable),
            (PostgresError(.deadlineExceeded, "deadline passed"), .deadlineExceeded),
            (PostgresError(.server, "could not serialize access", sqlState: "40001"), .aborted),
            (PostgresError(.server, "deadlock detected", sqlState: "40P01"), .aborted),
            (PostgresError(.server, "canceling statement due to statement timeout", sqlState: "57014"), .deadlineExceeded),
            (PostgresError(.server, "terminating connection due to administrator command", sqlState: "57P01"), .unavailable),
            (PostgresError(.server, "connection failure", sqlState: "08006"), .unavailable),
            (PostgresError(.server, "out of memory", sqlState: "53200"), .resourceExhausted),
            (PostgresError(.server, "duplicate key value violates unique constraint \"orders_pkey\"", sqlState: "23505",
                           constraint: "orders_pkey"), .internalError),
            (PostgresError(.decoding, "column 2 is not an integer"), .internalError),
        ]
        for (error, expected) in cases {
            let status = error.rpcError
            XCTAssertEqual(status.code, expected, error.description)
            XCTAssertFalse(status.message.contains(error.message), "leaks the server's text: \(status.message)")
        }
    }
}
