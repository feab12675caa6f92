import Messages
import Orders
import RPC
import XCTest

/// Intake writes the idempotency key with its answer in the order's own round trip; a
/// concurrent twin with the same key must still end in one order and one answer.
final class IntakeRaceTests: XCTestCase {
    private var fixture: OrdersFixture!

    override func setUp() async throws {
        fixture = try await OrdersFixture.make(self)
        // Open the pool's connections first, so the racing calls below really overlap
        // instead of queueing behind connection set-up.
        let pool = fixture.pool
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<20 { group.addTask { try await pool.query("SELECT pg_sleep(0.2)") } }
            try await group.waitForAll()
        }
    }

    override func tearDown() async throws { fixture?.close() }

    func testConcurrentCallsWithOneKeyGetOneOrderAndOneAnswer() async throws {
        let flow = fixture.flow
        let lead = try fixture.leadO1
        // A phone order has no external id: only the key ties the attempts together.
        let request = OrdersFixture.orderRequest(source: .phone)
        let answers = try await withThrowingTaskGroup(of: Xsc_Orders_V1_SubmitOrderResponse.self) { group in
            for _ in 0..<20 {
                group.addTask { try await flow.submit(request, actor: lead, idempotencyKey: "phone-race") }
            }
            var answers: [Xsc_Orders_V1_SubmitOrderResponse] = []
            for try await answer in group { answers.append(answer) }
            return answers
        }
        XCTAssertEqual(answers.count, 20)
        XCTAssertEqual(Set(answers.map { $0.order?.id ?? "" }).count, 1)
        XCTAssertTrue(answers.allSatisfy { $0 == answers[0] }, "every attempt gets the first answer, byte for byte")
        let orders = try await fixture.count("SELECT count(*) FROM orders")
        XCTAssertEqual(orders, 1)
        let prompts = try await fixture.smsRequests().count
        XCTAssertEqual(prompts, 1)
    }

    func testConcurrentCallsWithOneKeyAndDifferentBodiesMakeOneOrder() async throws {
        let flow = fixture.flow
        let lead = try fixture.leadO1
        let outcomes = await withTaskGroup(of: Result<String, RPCError>.self) { group in
            for attempt in 0..<12 {
                var request = OrdersFixture.orderRequest(source: .phone)
                request.lines[0].quantity = Int32(1 + attempt % 3)
                group.addTask {
                    do {
                        return .success(try await flow.submit(request, actor: lead, idempotencyKey: "mixed-race").order?.id ?? "")
                    } catch let error as RPCError {
                        return .failure(error)
                    } catch {
                        return .failure(RPCError(code: .unknown, message: "\(error)"))
                    }
                }
            }
            var outcomes: [Result<String, RPCError>] = []
            for await outcome in group { outcomes.append(outcome) }
            return outcomes
        }
        let ids = Set(outcomes.compactMap { try? $0.get() })
        XCTAssertEqual(ids.count, 1, "the attempts that succeed all name the one order")
        for case .failure(let error) in outcomes {
            XCTAssertEqual(error.code, .failedPrecondition, "\(error)")
        }
        let orders = try await fixture.count("SELECT count(*) FROM orders")
        XCTAssertEqual(orders, 1)
    }
}
