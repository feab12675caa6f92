// xsc-interop-server [--port N]: grpc.testing.TestService for gRPC's interop clients (plus the
// health and reflection services every RPCServer carries). Default port 7199.
#if canImport(Glibc)
import Glibc
#endif

import Interop
import RPC

/// Accepts `--port N` and `--port=N` (the stock interop servers' style) and `--use_tls=false`.
func parsePort(_ arguments: [String]) -> Int? {
    var port = 7199
    var rest = arguments[...]
    while let argument = rest.popFirst() {
        let parts = argument.split(separator: "=", maxSplits: 1).map(String.init)
        switch parts[0] {
        case "--port":
            guard let value = parts.count == 2 ? parts[1] : rest.popFirst(),
                  let parsed = Int(value), (1...65535).contains(parsed) else { return nil }
            port = parsed
        case "--use_tls" where parts.count == 2 && parts[1] == "false":
            continue
        default:
            return nil
        }
    }
    return port
}

guard let port = parsePort(Array(CommandLine.arguments.dropFirst())) else {
    fputs("usage: xsc-interop-server [--port N]   (plaintext only)\n", stderr)
    exit(2)
}

var configuration = RPCServer.Configuration(host: "0.0.0.0", port: port, eventLoops: 1)
// The abuse tests compare the glitch budget with a server that has (practically) none.
if let text = getenv("XSC_MAX_GLITCHES_PER_CONNECTION"), let glitches = Int(String(cString: text)), glitches > 0 {
    configuration.maxGlitchesPerConnection = glitches
}
// ... and the per-address connection rate and cool-down with and without them (the services'
// variable names; ServiceHost reads them through ServiceConfig).
func environmentNumber(_ name: String) -> Int? {
    guard let text = getenv(name), let number = Int(String(cString: text)), number >= 0 else { return nil }
    return number
}
if let burst = environmentNumber("XSC_PEER_CONNECT_BURST") { configuration.peerConnectBurst = burst }
if let rate = environmentNumber("XSC_PEER_CONNECT_RATE"), rate > 0 { configuration.peerConnectRate = rate }
if let millis = environmentNumber("XSC_PEER_COOLDOWN_MS") { configuration.peerCoolDown = .milliseconds(millis) }
if let drop = environmentNumber("XSC_PEER_KERNEL_DROP") { configuration.peerKernelDrop = drop != 0 }
let server = RPCServer(configuration: configuration, services: [InteropTestService()])
do {
    try server.start()
} catch {
    fputs("xsc-interop-server: cannot start on port \(port): \(error)\n", stderr)
    exit(1)
}
print("xsc-interop-server: serving grpc.testing.TestService on 0.0.0.0:\(port)")
server.waitUntilShutdown()
