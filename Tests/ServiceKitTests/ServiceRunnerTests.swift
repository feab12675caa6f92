import Glibc
import RPC
import Synchronization
import XCTest
@testable import ServiceKit

/// Records, at the moment it is asked to stop, what the rest of the process looks like.
private final class ProbeWorker: BackgroundWorker, @unchecked Sendable {
    struct Observation: Equatable {
        var readyWhenStopped: Bool
        var healthWhenStopped: HealthStatusStore.Status?
        var rpcPortClosed: Bool
        var adminHealthzStatus: Int
    }

    let name = "probe"
    let started = Atomic<Bool>(false)
    let observation = Mutex<Observation?>(nil)
    var runner: ServiceRunner?

    func start() throws { started.store(true, ordering: .relaxed) }

    func stop() async {
        guard let runner else { return }
        let rpcClosed = (try? RawHTTPClient(port: runner.server.port)) == nil
        let admin = try? RawHTTPClient(port: runner.admin.port)
        admin?.send("GET /healthz HTTP/1.1\r\n\r\n")
        let status = admin?.readResponse()?.status ?? 0
        observation.withLock {
            $0 = Observation(readyWhenStopped: runner.isReady,
                             healthWhenStopped: runner.server.health.status(of: ""),
                             rpcPortClosed: rpcClosed, adminHealthzStatus: status)
        }
    }
}

private final class StuckWorker: BackgroundWorker {
    let name = "stuck"
    func start() throws {}
    func stop() async {
        // Never finishes on its own: the runner must give up waiting and go on.
        while !Task.isCancelled { try? await Task.sleep(for: .seconds(3600)) }
    }
}

private final class FailingWorker: BackgroundWorker {
    let name = "failing"
    struct Failure: Error {}
    func start() throws { throw Failure() }
    func stop() async {}
}

final class ServiceRunnerTests: XCTestCase {
    private func get(_ path: String, port: Int) -> Int {
        guard let client = try? RawHTTPClient(port: port) else { return 0 }
        client.send("GET \(path) HTTP/1.1\r\n\r\n")
        return client.readResponse()?.status ?? 0
    }

    func testStartsServesAndShutsDownInOrder() throws {
        let worker = ProbeWorker()
        let serviceReady = ReadyFlag()
        serviceReady.value.store(true, ordering: .relaxed)
        let sink = MemoryLogSink()
        let runner = ServiceRunner(server: makeTestServer(), admin: AdminListener.Configuration(host: "127.0.0.1", port: 0),
                                   metrics: MetricsRegistry(), logger: Logger(service: "test", sink: sink),
                                   workers: [worker], isReady: { serviceReady.value.load(ordering: .relaxed) })
        worker.runner = runner
        try runner.start()
        XCTAssertTrue(worker.started.load(ordering: .relaxed))
        XCTAssertEqual(get("/healthz", port: runner.admin.port), 200)
        XCTAssertEqual(get("/readyz", port: runner.admin.port), 200)
        serviceReady.value.store(false, ordering: .relaxed)
        XCTAssertEqual(get("/readyz", port: runner.admin.port), 503, "the service's own readiness counts")
        serviceReady.value.store(true, ordering: .relaxed)
        XCTAssertEqual(runner.server.health.status(of: ""), .serving)

        let adminPort = runner.admin.port
        runner.shutdown()
        let seen = try XCTUnwrap(worker.observation.withLock { $0 })
        XCTAssertFalse(seen.readyWhenStopped)
        XCTAssertEqual(seen.healthWhenStopped, .notServing)
        XCTAssertTrue(seen.rpcPortClosed, "workers stop after the RPC server")
        XCTAssertEqual(seen.adminHealthzStatus, 200, "the admin listener stops last")
        XCTAssertEqual(get("/healthz", port: adminPort), 0, "the admin listener is gone after shutdown")
        runner.shutdown()  // a second call is harmless
        XCTAssertTrue(sink.lines.last?.contains("\"msg\":\"stopped\"") ?? false)
    }

    func testAWorkerThatDoesNotStopDoesNotBlockShutdown() throws {
        var options = ServiceRunner.Options()
        options.workerStopTimeout = .milliseconds(200)
        let sink = MemoryLogSink()
        let runner = ServiceRunner(server: makeTestServer(), admin: AdminListener.Configuration(host: "127.0.0.1", port: 0),
                                   metrics: MetricsRegistry(), logger: Logger(service: "test", sink: sink),
                                   workers: [StuckWorker()], options: options)
        try runner.start()
        runner.shutdown()
        XCTAssertTrue(sink.lines.contains { $0.contains("did not stop in time") && $0.contains("stuck") })
    }

    func testAFailedStartStopsWhatHadStarted() throws {
        let runner = ServiceRunner(server: makeTestServer(), admin: AdminListener.Configuration(host: "127.0.0.1", port: 0),
                                   metrics: MetricsRegistry(), logger: Logger(service: "test", sink: MemoryLogSink()),
                                   workers: [FailingWorker()])
        XCTAssertThrowsError(try runner.start())
        XCTAssertFalse(runner.isReady)
        XCTAssertEqual(get("/healthz", port: runner.admin.port), 0)
        XCTAssertNil(try? RawHTTPClient(port: runner.server.port))
    }

    func testStartupDecisions() {
        let environment = ["XSC_ACTOR_SECRET": String(repeating: "z", count: 32), "DATABASE_URL": "postgres://u:pw@h/d"]
        guard case .exit(0, let printed, "") = ServiceStartup.decide(service: "orders", arguments: ["xsc-orders", "--print-config"],
                                                                     environment: environment) else {
            return XCTFail("--print-config must print and exit 0")
        }
        XCTAssertTrue(printed.contains("DATABASE_URL=postgres://u:****@h/d"))
        XCTAssertFalse(printed.contains("zzzz"))
        guard case .exit(2, "", let errors) = ServiceStartup.decide(service: "orders", arguments: ["xsc-orders"], environment: [:]) else {
            return XCTFail("a bad environment must exit 2")
        }
        XCTAssertTrue(errors.contains("DATABASE_URL") && errors.contains("XSC_ACTOR_SECRET"))
        guard case .run(let config) = ServiceStartup.decide(service: "orders", arguments: ["xsc-orders"], environment: environment) else {
            return XCTFail("a good environment must run")
        }
        XCTAssertEqual(config.listen.port, 7101)
    }

    func testProcessEnvironmentIsRead() {
        setenv("XSC_SERVICEKIT_TEST_VARIABLE", "a=b", 1)
        XCTAssertEqual(ProcessEnvironment.current()["XSC_SERVICEKIT_TEST_VARIABLE"], "a=b")
    }
}
