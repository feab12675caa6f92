// xsc-load: drives one XSC service (directly, with minted actors) or the gateway (logged in)
// with a scenario from services/<name>/loadtest/, open-loop at a fixed rate or closed-loop at
// a concurrency, and prints throughput, latency percentiles, statuses and the server's CPU and
// memory. A measuring tool: it never judges a figure. `xsc-load --help` explains the options.

import ArgumentParser
import Foundation
import NetIO
import RPC
import ServiceKit

@main
struct LoadCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "xsc-load",
        abstract: "Drives one XSC service, or the gateway, with a scenario and prints what it measured.",
        discussion: """
            A scenario is a JSON file of services/<name>/loadtest/ (or its short name, e.g. orders/intake). \
            Directly (--via direct, the default) each caller is an actor minted with XSC_ACTOR_SECRET for that \
            service alone: only PostgreSQL and the service need to run; the scenario first puts what its calls \
            need into the service (catalog, directory entries, rules) through the service's own RPCs. Through \
            the gateway (--via gateway) the callers are the sessions given with --login/--token, in the order \
            the scenario's README names them, and the system must already be seeded (xsc seed-drill).

            Closed loop (--concurrency, the default) or open loop at a fixed rate (--rate): in the open loop \
            each operation is due at start + i/rate and its latency counts from that due time (coordinated \
            omission corrected). The server's CPU time and RSS come from /proc of --server-pid, or of the \
            process listening on the target port. A measurement, never a verdict: exit 0 whenever a run \
            completed, whatever its figures; 1 when the set-up or the first (probe) operation failed.
            """)

    @Argument(help: "The scenario file (services/orders/loadtest/intake.json) or its short name (orders/intake).")
    var scenario: String

    @Option(help: "The service's (or the gateway's) address.")
    var target: String

    @Option(help: "direct (minted actors) or gateway (logged-in sessions).")
    var via: String = "direct"

    @Option(help: "Open loop: operations per second, due at fixed times whatever the answers do.")
    var rate: Double?

    @Option(help: "Closed loop: callers, each sending its next operation when the last one answered.")
    var concurrency: Int = 16

    @Option(help: "Open loop: at most this many operations in flight (callers waiting for answers).")
    var maxInFlight: Int = 256

    @Option(help: "HTTP/2 connections the callers share.")
    var connections: Int = 1

    @Option(help: "Seconds measured.")
    var duration: Double = 10

    @Option(help: "Seconds of load before the measured window (not counted).")
    var warmup: Double = 2

    @Option(help: "A server process to read CPU time and RSS of; repeat for more (through the gateway: the gateway and the backend). Default: the one listening on the target port.")
    var serverPid: [Int32] = []

    @Option(help: "Through the gateway: log in as PHONE:PASSWORD (once per person the scenario needs, in order).")
    var login: [String] = []

    @Option(help: "Through the gateway: a session token or partner API key (after the --login sessions, in order).")
    var token: [String] = []

    @Flag(help: "Skip the scenario's preparation (it was done by an earlier run).")
    var skipPrepare = false

    @Flag(help: "Print one JSON object instead of the text report.")
    var json = false

    func validate() throws {
        guard Access.Via(rawValue: via) != nil else { throw ValidationError("--via is direct or gateway") }
        if let rate, rate <= 0 { throw ValidationError("--rate must be positive") }
        guard concurrency > 0, maxInFlight > 0, connections > 0 else {
            throw ValidationError("--concurrency, --max-in-flight and --connections must be positive")
        }
        guard duration > 0, warmup >= 0 else { throw ValidationError("--duration must be positive, --warmup at least 0") }
        guard Self.hostPort(target) != nil else { throw ValidationError("--target is HOST:PORT") }
    }

    func run() async throws {
        do {
            try await measure()
        } catch let error as ValidationError {
            throw error
        } catch {
            FileHandle.standardError.write(Data("xsc-load: \(error)\n".utf8))
            throw ExitCode(1)
        }
    }

    private func measure() async throws {
        let scenario = try Scenario(path: Self.scenarioPath(self.scenario))
        guard let (host, port) = Self.hostPort(target) else { return }
        let setup = RPCChannel(host: host, port: port)
        defer { setup.close() }

        var sessions: [Metadata] = []
        for entry in login {
            guard let colon = entry.firstIndex(of: ":") else { throw ValidationError("--login is PHONE:PASSWORD") }
            sessions.append(try await Access.login(channel: setup, phone: String(entry[..<colon]),
                                                   password: String(entry[entry.index(after: colon)...])))
        }
        sessions += token.map(Access.bearer)
        let environment = ProcessInfo.processInfo.environment
        let access = Access(via: Access.Via(rawValue: via) ?? .direct, service: scenario.service,
                            secret: environment["XSC_ACTOR_SECRET"].flatMap { ActorSecret($0) }, logins: sessions)
        let runID = String(UInt64.random(in: 0...UInt64.max), radix: 36)
        let workload = try await Workloads.make(scenario, access: access, runID: runID, setup: setup)
        if !skipPrepare { try await workload.prepare(channel: setup) }

        // The callers run on the channels' own loop thread, so a call never changes threads on
        // this side and the tool spends its CPU on the calls.
        let loop = try EventLoop(name: "xsc-load")
        let thread = LoopThread(loop: loop)
        try thread.start()
        defer {
            loop.stop()
            thread.join()
        }
        let channels = (0..<connections).map { _ in RPCChannel(host: host, port: port, loop: loop) }
        defer { channels.forEach { $0.close() } }

        // One operation first: a set-up mistake fails loudly instead of filling the report. A
        // server that is merely busy (its admission cap reached by other callers, or still
        // starting) is asked again for a few seconds: that is load, not a mistake.
        try await probe(workload, channel: channels[0])

        let servers = serverPid.isEmpty
            ? (Self.isLocal(host) ? ServerProcess.listening(on: port).map { [$0] } ?? [] : [])
            : serverPid.map(ServerProcess.init(pid:))
        let mode: Driver.Mode = rate.map { .open(rate: $0, maxInFlight: maxInFlight) } ?? .closed(concurrency: concurrency)
        let warmupDuration = Duration.milliseconds(Int64(warmup * 1000))
        let measured = Duration.milliseconds(Int64(duration * 1000))
        let driver = Driver(workload: workload, mode: mode, channels: channels, loop: loop, warmup: warmupDuration, duration: measured)
        let start = ContinuousClock.now + .milliseconds(10)
        let sampling = servers.map { server in
            Task { await ServerSampler(server: server).sample(from: start + warmupDuration, until: start + warmupDuration + measured) }
        }
        let result = await driver.run(start: start)
        var readings: [ServerReading] = []
        for task in sampling { readings.append(await task.value) }
        let extra = try await workload.finish(channel: setup)
        let report = LoadReport(scenario: scenario, via: access.via, target: target, mode: mode, connections: connections,
                                warmupSeconds: warmup, durationSeconds: duration, result: result, servers: readings, extra: extra)
        print(json ? report.json() : report.text())
    }

    /// The probe's operation number: far above any a run reaches, so its ids are its own.
    static let probeNumber = 999_999_999
    /// How long the probe keeps asking a busy server before the run gives up.
    static let probePatience: Duration = .seconds(10)

    private func probe(_ workload: any Workload, channel: RPCChannel) async throws {
        let clock = ContinuousClock()
        let giveUp = clock.now + Self.probePatience
        while true {
            do {
                _ = try await workload.operation(Self.probeNumber, channel: channel)
                return
            } catch let error as RPCError where [.resourceExhausted, .unavailable].contains(error.code) && clock.now < giveUp {
                try await Task.sleep(for: .milliseconds(100))
            } catch {
                throw Scenario.Invalid(message: "the first operation failed, nothing measured: \(error)")
            }
        }
    }

    static func hostPort(_ text: String) -> (String, Int)? {
        guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]), port > 0 else { return nil }
        return (String(text[..<colon]), port)
    }

    static func isLocal(_ host: String) -> Bool {
        ["127.0.0.1", "localhost", "::1", "0.0.0.0"].contains(host)
    }

    /// A path as given, or a short name "orders/intake" -> services/orders/loadtest/intake.json.
    static func scenarioPath(_ name: String) -> String {
        if FileManager.default.fileExists(atPath: name) { return name }
        let parts = name.split(separator: "/")
        if parts.count == 2 { return "services/\(parts[0])/loadtest/\(parts[1]).json" }
        return name
    }
}
