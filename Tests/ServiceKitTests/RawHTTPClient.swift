import Glibc
import XCTest

/// A blocking TCP client that speaks raw bytes, so tests can send exactly what they want
/// (malformed requests included) and see exactly what comes back. Reads give up after 10 s so
/// a broken server fails the test instead of hanging it (a safety net, not a measurement).
final class RawHTTPClient {
    let fd: Int32

    init(port: Int) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard result == 0 else {
            Glibc.close(fd)
            throw POSIXErrorCode(rawValue: errno).map { POSIXError($0) } ?? POSIXError(.EIO)
        }
        var timeout = timeval(tv_sec: 10, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    }

    private var isClosed = false

    deinit { close() }

    func close() {
        guard !isClosed else { return }
        isClosed = true
        Glibc.close(fd)
    }

    func send(_ text: String) { send(Array(text.utf8)) }

    func send(_ bytes: [UInt8]) {
        var offset = 0
        while offset < bytes.count {
            let written = bytes.withUnsafeBytes { raw -> Int in
                guard let base = raw.baseAddress else { return -1 }
                return Glibc.send(fd, base + offset, raw.count - offset, Int32(MSG_NOSIGNAL))
            }
            if written <= 0 { return }
            offset += written
        }
    }

    func shutdownWrite() { shutdown(fd, Int32(SHUT_WR)) }

    private var buffered: [UInt8] = []

    /// Reads one response (head plus Content-Length body); nil if the connection ends first.
    func readResponse() -> (status: Int, headers: [String: String], body: String)? {
        while true {
            if let response = takeResponse() { return response }
            guard readMore() else { return nil }
        }
    }

    /// True once the server closed the connection (after whatever is still buffered).
    func readsEndOfStream() -> Bool {
        while readMore() {}
        return lastReadWasEOF
    }

    /// Everything the server sends until it closes the connection, as text.
    func readToEnd() -> String {
        while readMore() {}
        defer { buffered.removeAll() }
        return String(decoding: buffered, as: UTF8.self)
    }

    private var lastReadWasEOF = false

    private func readMore() -> Bool {
        var chunk = [UInt8](repeating: 0, count: 4096)
        let count = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        lastReadWasEOF = count == 0 || (count < 0 && errno == ECONNRESET)
        guard count > 0 else { return false }
        buffered.append(contentsOf: chunk[0..<count])
        return true
    }

    private func takeResponse() -> (status: Int, headers: [String: String], body: String)? {
        let marker: [UInt8] = [13, 10, 13, 10]
        guard let end = (0..<max(0, buffered.count - 3)).first(where: { Array(buffered[$0..<$0 + 4]) == marker }) else {
            return nil
        }
        let head = String(decoding: buffered[..<end], as: UTF8.self).components(separatedBy: "\r\n")
        var headers: [String: String] = [:]
        for line in head.dropFirst() {
            let parts = line.split(separator: ":", maxSplits: 1)
            if parts.count == 2 { headers[parts[0].lowercased()] = parts[1].trimmingCharacters(in: .whitespaces) }
        }
        let length = Int(headers["content-length"] ?? "0") ?? 0
        guard buffered.count >= end + 4 + length else { return nil }
        let body = String(decoding: buffered[(end + 4)..<(end + 4 + length)], as: UTF8.self)
        buffered.removeFirst(end + 4 + length)
        let status = Int(head[0].split(separator: " ").dropFirst().first ?? "") ?? 0
        return (status, headers, body)
    }
}
