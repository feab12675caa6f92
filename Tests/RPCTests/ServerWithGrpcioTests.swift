import Foundation
import XCTest
@testable import RPC

/// Drives the server with Python grpcio's generic stubs (identity serialisers), so the wire
/// format is judged by a third-party implementation.
final class ServerWithGrpcioTests: XCTestCase {
    private func withServer(_ body: (Int) throws -> Void) throws {
        var configuration = RPCServer.Configuration(host: "127.0.0.1", port: 0, eventLoops: 1)
        configuration.handlesTerminationSignals = false
        configuration.shutdownGracePeriod = .seconds(1)
        let server = RPCServer(configuration: configuration, services: [RawEchoService()])
        try server.start()
        defer { server.shutdown() }
        try body(server.port)
    }

    private func python(_ script: String, port: Int) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", script, String(port)]
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        process.waitUntilExit()
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        XCTAssertEqual(process.terminationStatus, 0, output)
        return output.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    private let prelude = """
    import sys, grpc
    ch = grpc.insecure_channel('127.0.0.1:' + sys.argv[1])
    ident = lambda b: b

    """

    func testUnaryEcho() throws {
        try withServer { port in
            let out = try python(prelude + """
            f = ch.unary_unary('/test.Echo/Echo', request_serializer=ident, response_deserializer=ident)
            print(f(b'hello', timeout=5).decode())
            """, port: port)
            XCTAssertEqual(out, "hello")
        }
    }

    func testErrorStatusAndMessage() throws {
        try withServer { port in
            let out = try python(prelude + """
            f = ch.unary_unary('/test.Echo/Fail', request_serializer=ident, response_deserializer=ident)
            try:
                f(b'x', timeout=5)
            except grpc.RpcError as e:
                print(e.code().name, e.details())
            """, port: port)
            XCTAssertEqual(out, "FAILED_PRECONDITION nope ☺")
        }
    }

    func testUnknownMethodIsUnimplemented() throws {
        try withServer { port in
            let out = try python(prelude + """
            f = ch.unary_unary('/test.Echo/Nope', request_serializer=ident, response_deserializer=ident)
            try:
                f(b'x', timeout=5)
            except grpc.RpcError as e:
                print(e.code().name)
            """, port: port)
            XCTAssertEqual(out, "UNIMPLEMENTED")
        }
    }

    func testStreamingKinds() throws {
        try withServer { port in
            let out = try python(prelude + """
            s = ch.unary_stream('/test.Echo/Repeat', request_serializer=ident, response_deserializer=ident)
            print(b''.join(s(b'ab', timeout=5)).decode())
            c = ch.stream_unary('/test.Echo/Concat', request_serializer=ident, response_deserializer=ident)
            print(c(iter([b'x', b'y', b'z']), timeout=5).decode())
            b = ch.stream_stream('/test.Echo/Ping', request_serializer=ident, response_deserializer=ident)
            print(b','.join(b(iter([b'1', b'2']), timeout=5)).decode())
            """, port: port)
            XCTAssertEqual(out, "ababab\nxyz\n1,2")
        }
    }

    func testLargeMessageAndManyConcurrentCalls() throws {
        try withServer { port in
            let out = try python(prelude + """
            from concurrent.futures import ThreadPoolExecutor
            f = ch.unary_unary('/test.Echo/Echo', request_serializer=ident, response_deserializer=ident)
            big = bytes(range(256)) * 12000
            assert f(big, timeout=10) == big
            with ThreadPoolExecutor(16) as pool:
                results = list(pool.map(lambda i: f(str(i).encode(), timeout=10), range(500)))
            assert results == [str(i).encode() for i in range(500)]
            print('ok')
            """, port: port)
            XCTAssertEqual(out, "ok")
        }
    }
}
