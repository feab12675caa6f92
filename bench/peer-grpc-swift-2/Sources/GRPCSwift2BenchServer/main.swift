// grpc-swift-2 server for bench.v1.Bench/Echo: the peer that XSC's bench server is measured
// beside. Plain defaults (NIO Posix HTTP/2 transport, plaintext h2c, default event loop group),
// i.e. what a grpc-swift-2 user gets without tuning.
//
// usage: grpc-swift-2-bench-server [--port N]   (default 7199)

import GRPCCore
import GRPCNIOTransportHTTP2Posix

struct EchoService: Bench_V1_Bench.SimpleServiceProtocol {
    func echo(request: Bench_V1_Order, context: ServerContext) async throws -> Bench_V1_Order {
        request
    }
}

func portArgument() -> Int {
    let arguments = CommandLine.arguments
    guard let flag = arguments.firstIndex(of: "--port") else { return 7199 }
    guard flag + 1 < arguments.count, let port = Int(arguments[flag + 1]), (1...65535).contains(port) else {
        fatalError("usage: grpc-swift-2-bench-server [--port N]")
    }
    return port
}

let server = GRPCServer(
    transport: .http2NIOPosix(
        address: .ipv4(host: "0.0.0.0", port: portArgument()),
        transportSecurity: .plaintext
    ),
    services: [EchoService()]
)

try await withThrowingDiscardingTaskGroup { group in
    group.addTask { try await server.serve() }
    if let address = try await server.listeningAddress {
        print("grpc-swift-2 bench server listening on \(address)")
    }
}
