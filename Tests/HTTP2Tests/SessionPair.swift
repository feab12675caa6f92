import HTTP2
import XCTest

/// A server session and a client session wired to each other in memory: bytes one sends are
/// fed to the other, as a socket would, and the frames that went each way are kept for the
/// tests to look at.
final class SessionPair {
    let server: HTTP2Session
    let client: HTTP2Session
    /// Every frame the client sent (its preface left out), oldest first.
    private(set) var toServer: [Frame] = []
    private(set) var toClient: [Frame] = []
    private var prefaceSent = false

    init(server serverSettings: HTTP2Settings = HTTP2Settings(), client clientSettings: HTTP2Settings = HTTP2Settings()) throws {
        server = try HTTP2Session(role: .server, settings: serverSettings)
        client = try HTTP2Session(role: .client, settings: clientSettings)
    }

    /// Sends what the client has queued to the server; the frames that went.
    @discardableResult
    func clientToServer() throws -> [Frame] {
        var bytes: [UInt8] = []
        try client.send(into: &bytes)
        if !prefaceSent, !bytes.isEmpty {
            XCTAssertEqual(Array(bytes.prefix(Frame.clientPreface.count)), Frame.clientPreface, "a client starts with the preface")
            prefaceSent = true
            try server.receive(bytes[...])
            bytes.removeFirst(Frame.clientPreface.count)
        } else {
            try server.receive(bytes[...])
        }
        let frames = Frame.parse(bytes)
        toServer += frames
        return frames
    }

    /// Sends what the server has queued to the client; the frames that went.
    @discardableResult
    func serverToClient() throws -> [Frame] {
        var bytes: [UInt8] = []
        try server.send(into: &bytes)
        try client.receive(bytes[...])
        let frames = Frame.parse(bytes)
        toClient += frames
        return frames
    }

    /// Both ways until neither side has anything more to say (a bound against a loop, which
    /// would be a bug of its own).
    func exchange() throws {
        for _ in 0..<100 {
            let sent = try clientToServer().count + serverToClient().count
            if sent == 0 { return }
        }
        XCTFail("the sessions never went quiet")
    }

    /// A gRPC-style request's headers.
    static func requestHeaders(path: String = "/test.Echo/Say") -> HTTP2HeaderList {
        HTTP2HeaderList([(":method", "POST"), (":scheme", "http"), (":path", path), (":authority", "localhost"),
                         ("content-type", "application/grpc"), ("te", "trailers")])
    }
}

extension HTTP2Session {
    /// The events as comparable text (HTTP2Event is not Equatable): headers show their fields.
    var eventSummary: [String] {
        events.map { event in
            switch event {
            case .headers(let streamID, let block, let endStream):
                let fields = (0..<block.count).map { "\(String(decoding: block.name(at: $0), as: UTF8.self))=\(String(decoding: block.value(at: $0), as: UTF8.self))" }
                return "headers \(streamID) [\(fields.joined(separator: " "))]\(endStream ? " end" : "")"
            case .data(let streamID, let range): return "data \(streamID) \(range.count)"
            case .endStream(let streamID): return "endStream \(streamID)"
            case .streamClosed(let streamID, let errorCode): return "closed \(streamID) code \(errorCode)"
            case .goaway(let lastStreamID, let errorCode): return "goaway last \(lastStreamID) code \(errorCode)"
            case .ping: return "ping"
            case .pingAck: return "pingAck"
            }
        }
    }

    /// The body bytes received on `streamID`, in order.
    func body(of streamID: Int32) -> [UInt8] {
        events.flatMap { event -> [UInt8] in
            if case .data(streamID, let range) = event { return Array(receivedData[range]) }
            return []
        }
    }
}
