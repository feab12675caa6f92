import RPC

/// A scenario's calls. `prepare` runs once before the clock starts (what the calls need in the
/// service: catalog, directory entries, rules; every step an upsert, so runs repeat on one
/// database); `operation` is the measured unit, numbered uniquely within the run; `finish`
/// runs after the measured window and may add figures of its own (settlements' close).
protocol Workload: Sendable {
    func prepare(channel: RPCChannel) async throws
    /// Runs one operation; returns how many RPCs it made.
    func operation(_ number: Int, channel: RPCChannel) async throws -> Int
    func finish(channel: RPCChannel) async throws -> [String: Double]
}

extension Workload {
    func prepare(channel: RPCChannel) async throws {}
    func finish(channel: RPCChannel) async throws -> [String: Double] { [:] }
}

/// An answer that is not what the operation asked for (a replay, a wrong order): counted as
/// its own status, CLIENT_CHECK, beside the gRPC ones.
struct CheckFailure: Error, CustomStringConvertible {
    let message: String
    var description: String { message }
}

/// An operation of several calls refused part-way: `answered` calls had been answered before
/// the refused one. Its status is the refusal's; the calls answered still count as answered
/// calls (under overload, an operation's goodput and its calls' goodput differ).
struct RefusedAfter: Error {
    let answered: Int
    let error: RPCError

    /// Runs `call`, the operation's call number `answered + 1`, rethrowing a refusal with the
    /// calls answered before it.
    static func call<T>(after answered: Int, _ call: () async throws -> T) async throws -> T {
        do {
            return try await call()
        } catch let error as RPCError where answered > 0 {
            throw RefusedAfter(answered: answered, error: error)
        }
    }
}

/// The workloads a scenario file may name.
enum Workloads {
    static let names = ["orders.submit-order", "customers.create-search", "proposals.submit-decide",
                        "notifications.send", "settlements.close", "bench.echo"]

    /// Builds the scenario's workload; `setup` is a channel for the look-ups a workload does
    /// while it is made (account ids through the gateway).
    static func make(_ scenario: Scenario, access: Access, runID: String, setup: RPCChannel) async throws -> any Workload {
        let request = scenario.request
        switch scenario.workload {
        case "orders.submit-order": return try OrdersIntake(request, access: access, runID: runID)
        case "customers.create-search": return try CustomersCreateSearch(request, access: access, runID: runID)
        case "proposals.submit-decide": return try await ProposalsSubmitDecide(request, access: access, runID: runID, setup: setup)
        case "notifications.send": return try NotificationsSend(request, access: access, runID: runID)
        case "settlements.close": return try SettlementsClose(request, access: access, runID: runID)
        case "bench.echo": return BenchEcho(request)
        default:
            throw Scenario.Invalid(message: "unknown workload \(scenario.workload) (known: \(names.joined(separator: ", ")))")
        }
    }
}
