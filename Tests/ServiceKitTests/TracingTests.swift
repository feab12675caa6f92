import Foundation
import Messages
import RPC
import XCTest
@testable import ServiceKit

/// `test.Trace/Echo` answers with the trace its handler task sees (TraceContext.current):
/// account_id = trace id, request_id = span id, team_path = parent span id.
private struct TraceEchoService: RPCServiceProvider {
    var rpcService: RPCService {
        RPCService(name: "test.Trace", methods: [
            .unary("Echo") { (_: Xsc_Common_V1_ActorContext, _: ServerContext) async in
                var answer = Xsc_Common_V1_ActorContext()
                // Read after a suspension: the task-local must survive hops.
                await Task.yield()
                if let trace = TraceContext.current {
                    answer.accountId = trace.traceID
                    answer.requestId = trace.spanID
                    answer.teamPath = trace.parentSpanID ?? ""
                }
                return answer
            },
        ])
    }
}

final class TracingTests: XCTestCase {
    private let valid = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"

    func testTraceParentParsingFollowsTheSpec() throws {
        let parsed = try XCTUnwrap(TraceParent.parse(valid))
        XCTAssertEqual(parsed.traceID, "4bf92f3577b34da6a3ce929d0e0e4736")
        XCTAssertEqual(parsed.parentID, "00f067aa0ba902b7")
        XCTAssertTrue(parsed.sampled)
        XCTAssertEqual(parsed.headerValue, valid)
        XCTAssertEqual(TraceParent.parse("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00")?.sampled, false)
        // A later version with more fields: its first four fields are read.
        XCTAssertEqual(TraceParent.parse("01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra")?.traceID,
                       "4bf92f3577b34da6a3ce929d0e0e4736")
        let refused = [
            "",
            "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01",  // uppercase
            "00-00000000000000000000000000000000-00f067aa0ba902b7-01",  // zero trace id
            "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",  // zero parent id
            "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",  // version ff
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-x",  // version 00 is exact
            "01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01x",  // a later version's extra needs a dash
            "00-4bf92f3577b34da6a3ce929d0e0e473-00f067aa0ba902b7-01",  // short trace id
            "00_4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-0g",
            "00-4bf92f3577b34da6a3ce929d0e0e473g-00f067aa0ba902b7-01",
        ]
        for header in refused { XCTAssertNil(TraceParent.parse(header), header) }
    }

    func testAMalformedOrMissingHeaderStartsANewTrace() {
        let ids = TraceIDSource()
        let continued = TraceContext.continuing(valid, traceState: "vendor=1", ids: ids)
        XCTAssertEqual(continued.traceID, "4bf92f3577b34da6a3ce929d0e0e4736")
        XCTAssertEqual(continued.parentSpanID, "00f067aa0ba902b7")
        XCTAssertNotEqual(continued.spanID, "00f067aa0ba902b7")
        XCTAssertEqual(continued.traceState, "vendor=1")
        XCTAssertEqual(continued.traceparent, "00-4bf92f3577b34da6a3ce929d0e0e4736-\(continued.spanID)-01")
        for header in [nil, "garbage", valid.uppercased()] {
            let fresh = TraceContext.continuing(header, traceState: "vendor=1", ids: ids)
            XCTAssertNil(fresh.parentSpanID)
            XCTAssertNil(fresh.traceState, "a tracestate without its traceparent is dropped")
            XCTAssertNotNil(TraceParent.parse(fresh.traceparent))
        }
        let oversized = TraceContext.continuing(valid, traceState: String(repeating: "a", count: 513), ids: ids)
        XCTAssertNil(oversized.traceState)
    }

    func testIDsAreLowercaseHexNonZeroAndDistinct() {
        let ids = TraceIDSource()
        var seen = Set<String>()
        for _ in 0..<10_000 {
            let trace = ids.traceID(), span = ids.spanID()
            XCTAssertEqual(trace.count, 32)
            XCTAssertEqual(span.count, 16)
            XCTAssertTrue(Hex.isLowercase(ArraySlice(trace.utf8)) && Hex.isLowercase(ArraySlice(span.utf8)))
            XCTAssertTrue(seen.insert(trace).inserted)
        }
        // Two processes (two sources) do not repeat each other either.
        XCTAssertNotEqual(TraceIDSource().traceID(), TraceIDSource().traceID())
    }

    func testLogLinesCarryTheBoundTrace() throws {
        let sink = MemoryLogSink()
        let logger = Logger(service: "orders", sink: sink)
        let trace = TraceContext(traceID: "4bf92f3577b34da6a3ce929d0e0e4736", spanID: "00f067aa0ba902b7", parentSpanID: nil)
        TraceContext.$bound.withValue(trace) { logger.info("inside", ["trace_id": "spoofed"]) }
        logger.info("outside")
        let inside = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(sink.lines[0].utf8)) as? [String: Any])
        XCTAssertEqual(inside["trace_id"] as? String, trace.traceID)
        XCTAssertEqual(inside["span_id"] as? String, trace.spanID)
        XCTAssertEqual(inside["field.trace_id"] as? String, "spoofed", "a field cannot overwrite the trace")
        let outside = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(sink.lines[1].utf8)) as? [String: Any])
        XCTAssertNil(outside["trace_id"])
    }

    func testMetadataCarriesTheCurrentTraceToPeers() {
        let trace = TraceContext(traceID: "4bf92f3577b34da6a3ce929d0e0e4736", spanID: "00f067aa0ba902b7",
                                 parentSpanID: nil, traceState: "v=1")
        var metadata = Metadata([("traceparent", "00-11111111111111111111111111111111-2222222222222222-01"), ("x", "y")])
        metadata.setTrace(trace)
        XCTAssertEqual(metadata.values("traceparent").count, 1)
        XCTAssertEqual(metadata["traceparent"], "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")
        XCTAssertEqual(metadata["tracestate"], "v=1")
        XCTAssertEqual(metadata["x"], "y")
        let minted = TraceContext.$bound.withValue(trace) {
            ActorMint.mint(secret: ActorSecret(String(repeating: "k", count: 32))!, accountID: "svc", role: .system)
        }
        XCTAssertEqual(minted["traceparent"], trace.traceparent, "a service's call to a peer continues its trace")
        XCTAssertNil(ActorMint.mint(secret: ActorSecret(String(repeating: "k", count: 32))!, accountID: "svc", role: .system)["traceparent"])
    }

    func testTheHandlerTaskSeesItsCallsTrace() async throws {
        var configuration = RPCServer.Configuration(host: "127.0.0.1", port: 0)
        configuration.handlesTerminationSignals = false
        configuration.shutdownGracePeriod = .seconds(1)
        configuration.interceptors = [TraceInterceptor()]
        let server = RPCServer(configuration: configuration, services: [TraceEchoService()])
        try server.start()
        defer { server.shutdown() }
        let channel = RPCChannel(host: "127.0.0.1", port: server.port)
        defer { channel.close() }

        let continued: Xsc_Common_V1_ActorContext = try await channel.unary(
            path: "/test.Trace/Echo", request: Xsc_Common_V1_ActorContext(),
            options: CallOptions(metadata: Metadata([("traceparent", valid)])))
        XCTAssertEqual(continued.accountId, "4bf92f3577b34da6a3ce929d0e0e4736")
        XCTAssertEqual(continued.teamPath, "00f067aa0ba902b7")
        XCTAssertEqual(continued.requestId.count, 16)

        let started: Xsc_Common_V1_ActorContext = try await channel.unary(
            path: "/test.Trace/Echo", request: Xsc_Common_V1_ActorContext(), options: CallOptions())
        XCTAssertEqual(started.accountId.count, 32)
        XCTAssertEqual(started.teamPath, "")
        XCTAssertNotEqual(started.accountId, continued.accountId)
    }

    func testOTLPBodyIsTheCollectorsJSON() throws {
        let trace = TraceContext(traceID: "4bf92f3577b34da6a3ce929d0e0e4736", spanID: "00f067aa0ba902b7",
                                 parentSpanID: "1111111111111111")
        let span = SpanRecord(name: "/xsc.orders.v1.OrderService/GetOrder", kind: .server, trace: trace,
                              startUnixNanos: 1_000, endUnixNanos: 2_500, grpcStatus: 5, attributes: [("net.peer.name", "a\"b")])
        let body = OTLPJSON.body(service: "orders", spans: [span])
        let object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any])
        let resource = try XCTUnwrap((object["resourceSpans"] as? [[String: Any]])?.first)
        let spans = try XCTUnwrap(((resource["scopeSpans"] as? [[String: Any]])?.first?["spans"]) as? [[String: Any]])
        XCTAssertEqual(spans.count, 1)
        XCTAssertEqual(spans[0]["traceId"] as? String, trace.traceID)
        XCTAssertEqual(spans[0]["parentSpanId"] as? String, "1111111111111111")
        XCTAssertEqual(spans[0]["startTimeUnixNano"] as? String, "1000")
        XCTAssertEqual(spans[0]["kind"] as? Int, 2)
        XCTAssertEqual((spans[0]["status"] as? [String: Any])?["code"] as? Int, 2)
        XCTAssertTrue(body.contains(#""stringValue":"orders""#))
    }

    func testEndpointSetting() {
        XCTAssertEqual(TracingSettings.Endpoint.parse("http://collector:4318")?.tracesPath, "/v1/traces")
        XCTAssertEqual(TracingSettings.Endpoint.parse("https://otel.example.com/base/")?.port, 443)
        XCTAssertEqual(TracingSettings.Endpoint.parse("https://otel.example.com/base/")?.tracesPath, "/base/v1/traces")
        for bad in ["collector:4318", "ftp://x", "http://", "http://x:0", "http://x:99999", "http://u@x"] {
            XCTAssertNil(TracingSettings.Endpoint.parse(bad), bad)
        }
    }
}
