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

/// Records the errors handlers let through.
private final class FailureRecorder: ServerInterceptor {
    let failures = Mutex<[String]>([])

    func handlerFailed(_ context: ServerContext, error: any Error) {
        failures.withLock { $0.append("\(context.path): \(error)") }
    }
}

/// A storage-like error that knows its status (as PostgresError does in ServiceKitStore).
private struct StoreDown: RPCErrorConvertible, CustomStringConvertible {
    var description: String { "connection refused on 10.0.0.9:5432" }
    var rpcError: RPCError { RPCError(code: .unavailable, message: "the store is unreachable; retry later") }
}

private struct UnexpectedBug: Error {}

private struct FailingService: RPCServiceProvider {
    var rpcService: RPCService {
        RPCService(name: "test.Failing", methods: [
            .unary("Store") { (_: RawMessage, _: ServerContext) -> RawMessage in throw StoreDown() },
            .unary("Bug") { (_: RawMessage, _: ServerContext) -> RawMessage in throw UnexpectedBug() },
        ])
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

    func testHandlerErrorsBecomeTheirStatusAndReachInterceptorsButNotTheCaller() async throws {
        let recorder = FailureRecorder()
        var configuration = RPCServer.Configuration(host: "127.0.0.1", port: 0)
        configuration.handlesTerminationSignals = false
        configuration.shutdownGracePeriod = .seconds(1)
        configuration.interceptors = [recorder]
        let server = RPCServer(configuration: configuration, services: [FailingService()])
        try server.start()
        defer { server.shutdown() }
        let channel = RPCChannel(host: "127.0.0.1", port: server.port)
        defer { channel.close() }

        for (path, code, message) in [("/test.Failing/Store", StatusCode.unavailable, "the store is unreachable; retry later"),
                                      ("/test.Failing/Bug", .unknown, "the handler failed unexpectedly")] {
            do {
                let _: RawMessage = try await channel.unary(path: path, request: RawMessage())
                XCTFail("\(path) should fail")
            } catch let error as RPCError {
                XCTAssertEqual(error.code, code, path)
                XCTAssertEqual(error.message, message, path)
            }
        }
        let failures = recorder.failures.withLock { $0 }
        XCTAssertEqual(failures.count, 2)
        XCTAssertTrue(failures[0].contains("10.0.0.9:5432"), failures[0])
        XCTAssertTrue(failures[1].hasPrefix("/test.Failing/Bug"), failures[1])
    }
}
