@testable import Proposals
import XCTest

/// The proposal's life as a value: every event from every state, without a database.
final class ProposalStateMachineTests: XCTestCase {
    typealias Machine = ProposalStateMachine

    func testSubmissionAsksTheSuperiorAndStartsTheWindow() throws {
        var machine = Machine(state: .draft)
        XCTAssertEqual(try machine.handle(.edit), [])
        XCTAssertEqual(machine.state, .draft)
        XCTAssertEqual(try machine.handle(.submit), [.notifyDeciders, .scheduleDecisionDeadline])
        XCTAssertEqual(machine.state, .submitted)
        XCTAssertTrue(machine.isOpen)
    }

    func testExecuteSchedulesTheExecutionAndTellsEveryone() throws {
        var machine = Machine(state: .submitted)
        XCTAssertEqual(try machine.handle(.decide(execute: true)), [.cancelDecisionDeadline, .notifyOutcome, .scheduleExecution])
        XCTAssertEqual(machine.state, .executing)
    }

    func testTerminateEndsTheMatter() throws {
        var machine = Machine(state: .submitted)
        XCTAssertEqual(try machine.handle(.decide(execute: false)), [.cancelDecisionDeadline, .notifyOutcome])
        XCTAssertEqual(machine.state, .terminated)
        XCTAssertFalse(machine.isOpen)
    }

    func testAMissedWindowRecordsAViolationAndEscalatesWhileThereIsSomeoneAbove() throws {
        var machine = Machine(state: .submitted)
        XCTAssertEqual(try machine.handle(.decisionDeadlinePassed(nextLevel: true)), [.recordDecisionViolation, .escalate])
        XCTAssertEqual(machine.state, .submitted, "a late decision must still be possible")
        XCTAssertEqual(try machine.handle(.decisionDeadlinePassed(nextLevel: false)), [.recordDecisionViolation])
        XCTAssertEqual(try machine.handle(.decide(execute: true)).first, .cancelDecisionDeadline)
    }

    func testReviewEndsClosedEitherWay() throws {
        var complete = Machine(state: .executing)
        XCTAssertEqual(try complete.handle(.finishReached), [.startReview])
        XCTAssertEqual(complete.state, .reviewing)
        XCTAssertEqual(try complete.handle(.reviewComplete), [.cancelReviewDeadline, .cancelExecution])
        XCTAssertEqual(complete.state, .closed)

        var missed = Machine(state: .reviewing)
        XCTAssertEqual(try missed.handle(.reviewDeadlinePassed), [.recordReviewViolations, .cancelExecution])
        XCTAssertEqual(missed.state, .closed)
    }

    /// Every (state, event) pair not in the diagram is refused and leaves the state alone.
    func testEverythingElseIsRefused() {
        let allowed: Set<String> = [
            "draft/edit", "draft/submit", "submitted/execute", "submitted/terminate", "submitted/escalate-next",
            "submitted/escalate-last", "executing/finish", "reviewing/complete", "reviewing/deadline",
        ]
        let events: [(String, Machine.Event)] = [
            ("edit", .edit), ("submit", .submit), ("execute", .decide(execute: true)), ("terminate", .decide(execute: false)),
            ("escalate-next", .decisionDeadlinePassed(nextLevel: true)), ("escalate-last", .decisionDeadlinePassed(nextLevel: false)),
            ("finish", .finishReached), ("complete", .reviewComplete), ("deadline", .reviewDeadlinePassed),
        ]
        for state in [ProposalState.draft, .submitted, .executing, .reviewing, .closed, .terminated] {
            for (name, event) in events where !allowed.contains("\(state.storedName)/\(name)") {
                var machine = Machine(state: state)
                XCTAssertThrowsError(try machine.handle(event), "\(state.storedName)/\(name)")
                XCTAssertEqual(machine.state, state)
            }
        }
    }

    func testStoredNamesRoundTrip() {
        for state in [ProposalState.draft, .submitted, .executing, .reviewing, .closed, .terminated] {
            XCTAssertEqual(ProposalState(storedName: state.storedName), state)
        }
        XCTAssertEqual(ProposalState(storedName: "nonsense"), .unspecified)
    }
}
