@testable import HTTPClient
import XSCTestSupport
import Foundation
@testable import Notifications
import NetIO
import Synchronization

/// An HTTP SMS gateway for the tests, on a loopback port. It checks the API key and the HMAC
/// signature, dedupes on `client_ref` like real gateways, and misbehaves at random in the three
/// ways that matter: refuses before accepting (503), accepts and then answers 500 (the client
/// cannot know it went through), or accepts and never answers (the client times out).
final class FakeSMSGateway: @unchecked Sendable {
    struct Behaviour: Sendable {
        var refuseRate = 0.0
        var acceptThenFailRate = 0.0
        var acceptThenHangRate = 0.0
        /// Numbers the gateway refuses for good (400).
        var blockedPhones: Set<String> = []
    }

    let apiKey = "test-key"
    let secret = "test-secret"
    let behaviour: Mutex<Behaviour>
    /// client_ref -> how many times the SMS reached the handset (must end at 1 each).
    private let handset = Mutex<[String: Int]>([:])
    private let idsByRef = Mutex<[String: String]>([:])
    let requests = Atomic<Int>(0)
    let badSignatures = Atomic<Int>(0)
    private let listener: TCPListener
    private var task: Task<Void, Never>?

    init(_ behaviour: Behaviour = Behaviour()) throws {
        self.behaviour = Mutex(behaviour)
        listener = try TCPListener(address: try SocketAddress(numericHost: "127.0.0.1", port: 0), reusePort: false)
        task = Task.detached { [self] in await acceptLoop() }
    }

    var port: Int { listener.localAddress.port }
    var deliveredToHandset: [String: Int] { handset.withLock { $0 } }

    func configuration(timeout: Duration = .milliseconds(300)) -> HTTPGatewayProvider.Configuration {
        HTTPGatewayProvider.Configuration(host: "127.0.0.1", port: port, path: "/v1/sms", apiKey: apiKey, secret: secret,
                                          timeout: timeout)
    }

    func stop() {
        task?.cancel()
        listener.close()
    }

    private func acceptLoop() async {
        while !Task.isCancelled {
            if let socket = listener.accept() {
                let connection = UncheckedSocket(socket: socket)
                Task.detached { [self] in await serve(connection) }
            } else {
                try? await Task.sleep(for: .milliseconds(2))
            }
        }
    }

    private struct UncheckedSocket: @unchecked Sendable { let socket: TCPSocket }

    private func serve(_ connection: UncheckedSocket) async {
        let socket = connection.socket
        defer { socket.close() }
        guard let request = await readRequest(socket) else { return }
        requests.add(1, ordering: .relaxed)
        let (status, body, hang) = respond(to: request)
        if hang {
            try? await Task.sleep(for: .seconds(2))
            return
        }
        let text = "HTTP/1.1 \(status) X\r\nContent-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\nConnection: close\r\n\r\n\(body)"
        let bytes = Array(text.utf8)
        var offset = 0
        while offset < bytes.count {
            switch socket.write(bytes, from: offset) {
            case .wrote(let count): offset += count
            case .wouldBlock: try? await Task.sleep(for: .milliseconds(1))
            case .failed: return
            }
        }
    }

    private struct Request {
        var headers: [String: String]
        var body: [UInt8]
    }

    private func readRequest(_ socket: TCPSocket) async -> Request? {
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 8192)
        let giveUp = ContinuousClock.now + .seconds(5)
        while ContinuousClock.now < giveUp {
            switch socket.read(into: &buffer) {
            case .bytes(let count):
                received += buffer[0..<count]
                if let total = HTTP1Client.completeLength(received), received.count >= total, let end = HTTP1Client.headEnd(received) {
                    let head = String(decoding: received[0..<end], as: UTF8.self)
                    var headers: [String: String] = [:]
                    for line in head.split(separator: "\r\n").dropFirst() {
                        let parts = line.split(separator: ":", maxSplits: 1)
                        if parts.count == 2 { headers[parts[0].lowercased()] = parts[1].trimmingSpaces() }
                    }
                    return Request(headers: headers, body: Array(received[(end + 4)..<total]))
                }
            case .wouldBlock: try? await Task.sleep(for: .milliseconds(1))
            case .closed, .failed: return nil
            }
        }
        return nil
    }

    private func respond(to request: Request) -> (Int, String, Bool) {
        let expected = HTTPGatewayProvider.signature(secret: secret, timestamp: request.headers["x-timestamp"] ?? "",
                                                     body: request.body)
        guard request.headers["x-api-key"] == apiKey, request.headers["x-signature"] == expected else {
            badSignatures.add(1, ordering: .relaxed)
            return (401, "{\"error\":\"bad signature\"}", false)
        }
        guard let json = try? JSONSerialization.jsonObject(with: Data(request.body)) as? [String: Any],
              let ref = json["client_ref"] as? String, let to = json["to"] as? String else {
            return (400, "{\"error\":\"bad request\"}", false)
        }
        let rules = behaviour.withLock { $0 }
        if rules.blockedPhones.contains(to) { return (400, "{\"error\":\"number blocked\"}", false) }
        let roll = Double.random(in: 0..<1)
        if roll < rules.refuseRate { return (503, "{\"error\":\"busy\"}", false) }
        // Accepted: the handset gets it once per client_ref, however often it is retried.
        let id = idsByRef.withLock { ids -> String in
            if let known = ids[ref] { return known }
            let fresh = "gw-" + UUID().uuidString.lowercased()
            ids[ref] = fresh
            handset.withLock { $0[ref, default: 0] += 1 }
            return fresh
        }
        if roll < rules.refuseRate + rules.acceptThenFailRate { return (500, "{\"error\":\"oops\"}", false) }
        if roll < rules.refuseRate + rules.acceptThenFailRate + rules.acceptThenHangRate { return (200, "", true) }
        return (200, "{\"message_id\":\"\(id)\"}", false)
    }
}
