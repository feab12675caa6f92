import Synchronization
import XCTest
@testable import RPC

private enum CallerKey: ServerContextKey { typealias Value = String }

/// Refuses calls without `x-token`, hands the caller to the handler, and records statuses.
private final class TokenInterceptor: ServerInterceptor {
    let finished = Mutex<[StatusCode]>([])

    func callStarted(_ context: ServerContext) throws {
        guard let token = context.requestMetadata["x-token"] else {
            throw RPCError(code: .unauthenticated, message: "missing x-token")
        }
        context[CallerKey.self] = token
    }

    func callFinished(_ context: ServerContext, status: StatusCode, duration: Duration) {
        finished.withLock { $0.append(status) }
    }
}

private struct WhoAmIService: RPCServiceProvider {
    var rpcService: RPCService {
        RPCService(name: "test.Who", methods: [
            .unary("Am") { (_: RawMessage, context: ServerContext) in
                RawMessage(Array((context[CallerKey.self] ?? "nobody").utf8))
            },
        ])
    }
}

final class InterceptorTests: XCTestCase {
    func testInterceptorRefusesAndPassesValuesToHandlers() async throws {
        let interceptor = TokenInterceptor()
        var configuration = RPCServer.Configuration(host: "127.0.0.1", port: 0)
        configuration.handlesTerminationSignals = false
        configuration.shutdownGracePeriod = .seconds(1)
        configuration.interceptors = [interceptor]
        let server = RPCServer(configuration: configuration, services: [WhoAmIService()])
        try server.start()
        defer { server.shutdown() }
        let channel = RPCChannel(host: "127.0.0.1", port: server.port)
        defer { channel.close() }

        do {
            let _: RawMessage = try await channel.unary(path: "/test.Who/Am", request: RawMessage())
            XCTFail("expected UNAUTHENTICATED")
        } catch let error as RPCError {
            XCTAssertEqual(error.code, .unauthenticated)
        }
        var options = CallOptions()
        options.metadata.add("x-token", "alice")
        let answer: RawMessage = try await channel.unary(path: "/test.Who/Am", request: RawMessage(), options: options)
        XCTAssertEqual(String(decoding: answer.bytes, as: UTF8.self), "alice")
        XCTAssertEqual(interceptor.finished.withLock { $0 }, [.unauthenticated, .ok])
    }
}
