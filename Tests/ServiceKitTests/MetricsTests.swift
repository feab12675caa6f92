import Messages
import RPC
import XCTest
@testable import ServiceKit

final class MetricsTests: XCTestCase {
    func testExpositionParsesBack() throws {
        let registry = MetricsRegistry()
        let requests = registry.counter("xsc_test_requests_total", help: "Requests.\nSecond line \\ here.",
                                        labels: ["path", "code"])
        requests.labels("/a", "OK").increment()
        requests.labels("/a", "OK").increment(by: 2)
        requests.labels("we\"ird\\value\n", "NOT_FOUND").increment()
        let temperature = registry.gauge("xsc_test_temperature", help: "Degrees.")
        temperature.labels().set(-3.5)
        let latency = registry.histogram("xsc_test_latency_seconds", help: "Latency.", buckets: [0.1, 1])
        for value in [0.05, 0.1, 0.5, 2, 3] { latency.labels().observe(value) }
        registry.gaugeCallback("xsc_test_pool_connections", help: "Pool.", labels: ["state"]) {
            [GaugeSample(["idle"], 3), GaugeSample(["in_use"], 1)]
        }

        let text = registry.exposition()
        let parsed = try ParsedExposition(text)
        XCTAssertEqual(parsed.types, ["xsc_test_requests_total": "counter", "xsc_test_temperature": "gauge",
                                      "xsc_test_latency_seconds": "histogram", "xsc_test_pool_connections": "gauge"])
        XCTAssertEqual(parsed.value("xsc_test_requests_total", ["path": "/a", "code": "OK"]), 3)
        XCTAssertEqual(parsed.value("xsc_test_requests_total", ["path": "we\"ird\\value\n", "code": "NOT_FOUND"]), 1)
        XCTAssertEqual(parsed.value("xsc_test_temperature"), -3.5)
        XCTAssertEqual(parsed.value("xsc_test_latency_seconds_bucket", ["le": "0.1"]), 2, "le is inclusive")
        XCTAssertEqual(parsed.value("xsc_test_latency_seconds_bucket", ["le": "1"]), 3)
        XCTAssertEqual(parsed.value("xsc_test_latency_seconds_bucket", ["le": "+Inf"]), 5)
        XCTAssertEqual(parsed.value("xsc_test_latency_seconds_count"), 5)
        XCTAssertEqual(parsed.value("xsc_test_latency_seconds_sum") ?? 0, 5.65, accuracy: 1e-9)
        XCTAssertEqual(parsed.value("xsc_test_pool_connections", ["state": "idle"]), 3)
        XCTAssertEqual(parsed.value("xsc_test_pool_connections", ["state": "in_use"]), 1)
        XCTAssertTrue(text.contains("# HELP xsc_test_requests_total Requests.\\nSecond line \\\\ here.\n"))
    }

    func testRegisteringTwiceSharesTheFamily() {
        let registry = MetricsRegistry()
        registry.counter("xsc_shared_total", help: "x", labels: ["a"]).labels("1").increment()
        registry.counter("xsc_shared_total", help: "x", labels: ["a"]).labels("1").increment()
        XCTAssertEqual(registry.counter("xsc_shared_total", help: "x", labels: ["a"]).labels("1").current, 2)
        XCTAssertEqual(registry.exposition().components(separatedBy: "# TYPE xsc_shared_total").count, 2)
    }

    func testNumberSpelling() {
        XCTAssertEqual(PrometheusText.number(1), "1")
        XCTAssertEqual(PrometheusText.number(0.0025), "0.0025")
        XCTAssertEqual(PrometheusText.number(.infinity), "+Inf")
        XCTAssertEqual(PrometheusText.number(.nan), "NaN")
        XCTAssertFalse(PrometheusText.isValidName("9lives"))
        XCTAssertFalse(PrometheusText.isValidName("a-b"))
        XCTAssertTrue(PrometheusText.isValidName("xsc:rpc_total"))
        XCTAssertFalse(PrometheusText.isValidName("a:b", allowColon: false))
    }

    /// The metrics and access-log interceptors through a real server, with the actor verifier
    /// between them refusing one call.
    func testInterceptorsRecordCallsThroughARealServer() async throws {
        let registry = MetricsRegistry()
        let sink = MemoryLogSink()
        let secret = ActorSecret(String(repeating: "q", count: 32))!
        let config = try ServiceConfig.load(service: "orders", environment: [
            "XSC_ACTOR_SECRET": String(repeating: "q", count: 32), "DATABASE_URL": "postgres://localhost/x",
        ])
        let server = try startTestServer(interceptors: StandardInterceptors.make(
            config: config, logger: Logger(service: "test", sink: sink), metrics: registry))
        defer { server.shutdown() }
        let channel = RPCChannel(host: "127.0.0.1", port: server.port)
        defer { channel.close() }
        let request = Messages_ActorContext()
        let signed = ActorMint.mint(secret: secret, accountID: "13812345678", role: .staff, requestID: "req-7", audience: "orders")
        for _ in 0..<2 {
            let _: Messages_ActorContext = try await channel.unary(path: WhoAmIService.path, request: request,
                                                                   options: CallOptions(metadata: signed))
        }
        await XCTAssertThrowsErrorAsync(try await channel.unary(path: WhoAmIService.path, request: request) as Messages_ActorContext)
        await XCTAssertThrowsErrorAsync(try await channel.unary(path: "/test.WhoAmI/Fail", request: request,
                                                                options: CallOptions(metadata: signed)) as Messages_ActorContext)

        let parsed = try ParsedExposition(registry.exposition())
        let get = WhoAmIService.path
        XCTAssertEqual(parsed.value("xsc_rpc_server_calls_total", ["method": get, "code": "OK"]), 2)
        XCTAssertEqual(parsed.value("xsc_rpc_server_calls_total", ["method": get, "code": "UNAUTHENTICATED"]), 1)
        XCTAssertEqual(parsed.value("xsc_rpc_server_calls_total", ["method": "/test.WhoAmI/Fail", "code": "NOT_FOUND"]), 1)
        XCTAssertEqual(parsed.value("xsc_rpc_server_call_duration_seconds_count", ["method": get]), 3)
        XCTAssertEqual(parsed.value("xsc_rpc_server_calls_in_flight", ["method": get]), 0)
        XCTAssertFalse(registry.exposition().contains("13812345678"))

        let lines = sink.lines
        XCTAssertEqual(lines.count, 4)
        let first = try JSONSerialization.jsonObject(with: Data(lines[0].utf8)) as? [String: Any]
        XCTAssertEqual(first?["method"] as? String, get)
        XCTAssertEqual(first?["status"] as? String, "OK")
        XCTAssertEqual(first?["request_id"] as? String, "req-7")
        XCTAssertNotNil(first?["duration_ms"] as? Double)
        XCTAssertTrue((first?["peer"] as? String)?.contains("127.0.0.1") ?? false)
        XCTAssertTrue(lines[2].contains("\"status\":\"UNAUTHENTICATED\""))
    }
}

typealias Messages_ActorContext = Xsc_Common_V1_ActorContext

func XCTAssertThrowsErrorAsync<T>(_ expression: @autoclosure () async throws -> T,
                                  file: StaticString = #filePath, line: UInt = #line) async {
    do {
        _ = try await expression()
        XCTFail("expected an error", file: file, line: line)
    } catch {}
}
