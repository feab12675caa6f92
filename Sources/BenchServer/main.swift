// xsc-bench-server: serves bench.v1.Bench/Echo (../shared/bench) so that bench/run.sh can put
// XSC's RPC runtime beside other gRPC servers doing the same work.
//
// usage: xsc-bench-server [--port N] [--event-loops N] [--tls-port N --tls-cert PEM --tls-key PEM]
//        (defaults: 7198, 1 loop = one core; with --tls-* also TLS on its own port, for
//        bench/tls.sh's h2c-versus-TLS figures)

#if canImport(Glibc)
import Glibc  // exit
#else
import Darwin
#endif
import Messages
import RPC
import ServiceAPI
import TLS

/// Echo returns the decoded order unchanged, so a call costs one decode and one encode.
struct EchoService: Bench_V1_BenchHandler {
    func echo(_ request: Bench_V1_Order, context: ServerContext) async throws -> Bench_V1_Order {
        request
    }
}

struct Options {
    var port = 7198
    var eventLoops = 1
    var tlsPort: Int?
    var tlsCertificate: String?
    var tlsKey: String?

    static let usage = "usage: xsc-bench-server [--port N] [--event-loops N] [--tls-port N --tls-cert PEM --tls-key PEM]"

    init(arguments: [String]) throws(UsageError) {
        var rest = arguments.makeIterator()
        while let flag = rest.next() {
            switch flag {
            case "--port": port = try Self.number(rest.next(), in: 1...65535)
            case "--event-loops": eventLoops = try Self.number(rest.next(), in: 1...256)
            case "--tls-port": tlsPort = try Self.number(rest.next(), in: 1...65535)
            case "--tls-cert": tlsCertificate = try Self.text(rest.next())
            case "--tls-key": tlsKey = try Self.text(rest.next())
            default: throw UsageError()
            }
        }
    }

    private static func text(_ text: String?) throws(UsageError) -> String {
        guard let text, !text.isEmpty else { throw UsageError() }
        return text
    }

    private static func number(_ text: String?, in range: ClosedRange<Int>) throws(UsageError) -> Int {
        guard let text, let value = Int(text), range.contains(value) else { throw UsageError() }
        return value
    }
}

struct UsageError: Error {}

let options: Options
do {
    options = try Options(arguments: Array(CommandLine.arguments.dropFirst()))
} catch {
    print(Options.usage)
    exit(2)
}

var configuration = RPCServer.Configuration(host: "0.0.0.0", port: options.port, eventLoops: options.eventLoops)
if let port = options.tlsPort, let certificate = options.tlsCertificate, let key = options.tlsKey {
    let identity = try TLSServerIdentity(files: TLSServerFiles(certificateChain: certificate, privateKey: key))
    configuration.tls = TLSEndpoint(host: "0.0.0.0", port: port, identity: identity)
}
let server = RPCServer(configuration: configuration, services: [EchoService()])
try server.start()
print("xsc-bench-server listening on 0.0.0.0:\(options.port) with \(options.eventLoops) event loop(s)"
      + (server.tlsPort.map { ", TLS on 0.0.0.0:\($0)" } ?? ""))
server.waitUntilShutdown()
