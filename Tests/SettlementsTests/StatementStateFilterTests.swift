import DomainKit
import Messages
import RPC
import ServiceKit
@testable import Settlements
import XCTest

/// ListStatements' state filter (the regional manager's page lists the drafts waiting for
/// sign-off, issue 20): a signed statement leaves the DRAFT list and shows under SIGNED; no
/// filter lists every state; the filter never widens what the caller may read.
final class StatementStateFilterTests: XCTestCase {
    var fixture: SettlementsFixture!

    override func setUp() async throws {
        fixture = try await SettlementsFixture.make(self)
        try await fixture.seedRules()
    }

    override func tearDown() async throws { fixture?.close() }

    func testTheStateFilterKeepsOneStateAndTheCallersScope() async throws {
        for (order, payee) in [("a", "ref-1"), ("b", "ref-2")] {
            _ = try await fixture.flow.recordVisited(fixture.visited(order, at: fixture.w48.startMillis + 1_000, referrer: payee,
                                                                     lines: [("bj-250", 1, 100_000)]), actor: try fixture.system)
        }
        fixture.set(to: fixture.w48.endMillis + 1)
        try await fixture.closeWeek(fixture.w48)
        let signed = try await fixture.statement(week: fixture.w48, payee: "ref-1")!
        _ = try await fixture.flow.signStatement(signed.statementId, actor: try fixture.managerCQ)

        func listed(_ state: Xsc_Settlements_V1_StatementState, as actor: VerifiedActor) async throws -> [String] {
            var request = Xsc_Settlements_V1_ListStatementsRequest()
            request.state = state
            return try await fixture.flow.listStatements(request, actor: actor).statements.map(\.payeeAccountId).sorted()
        }
        let drafts = try await listed(.draft, as: try fixture.managerCQ)
        XCTAssertEqual(drafts, ["ref-2"])
        let signedOnes = try await listed(.signed, as: try fixture.managerCQ)
        XCTAssertEqual(signedOnes, ["ref-1"])
        let every = try await listed(.unspecified, as: try fixture.managerCQ)
        XCTAssertEqual(every, ["ref-1", "ref-2"])
        let paid = try await listed(.paid, as: try fixture.managerCQ)
        XCTAssertEqual(paid, [])
        // Another region's manager and another payee see nothing more for asking by state.
        let otherRegion = try await listed(.draft, as: try fixture.managerSC)
        XCTAssertEqual(otherRegion, [])
        let otherPayee = try await listed(.draft, as: try fixture.intermediary("ref-1"))
        XCTAssertEqual(otherPayee, [])
        do {
            _ = try await listed(.unrecognized(42), as: try fixture.managerCQ)
            XCTFail("an unknown state was accepted")
        } catch let error as RPCError {
            XCTAssertEqual(error.code, .invalidArgument)
        }
    }
}
