import Messages
import ProtoCodec

extension JSONTranscoder {
    /// Calls the route's method with `messages` and answers `responder`: the response as JSON,
    /// a stream as server-sent events (default) or JSON lines (`Accept: application/x-ndjson`),
    /// or the error as a google.rpc.Status.
    public func call(_ route: JSONRoute, messages: [[UInt8]], channel: RPCChannel, options: CallOptions,
                     request: PlainHTTPRequest, responder: any PlainHTTPResponder) async {
        do {
            if route.serverStreaming {
                try await stream(route, message: messages.first ?? [], channel: channel, options: options,
                                 request: request, responder: responder)
                return
            }
            let response: OpaqueMessage
            if route.body == .stream {
                let call: ClientStreamingCall<OpaqueMessage, OpaqueMessage> = channel.clientStreaming(path: route.grpcPath, options: options)
                for message in messages { try await call.send(OpaqueMessage(bytes: message)) }
                response = try await call.finish()
            } else {
                response = try await channel.unary(path: route.grpcPath, request: OpaqueMessage(bytes: messages.first ?? []), options: options)
            }
            let json = try route.responseToJSON(response.bytes)
            await responder.respond(PlainHTTPResponseHead(status: 200, headers: [("content-type", "application/json")]),
                                    body: JSONWriter.bytes(json))
        } catch {
            await JSONStatus.respond(Self.rpcError(error), to: responder)
        }
    }

    static func rpcError(_ error: any Error) -> RPCError {
        if let rpc = error as? RPCError { return rpc }
        if let convertible = error as? any RPCErrorConvertible { return convertible.rpcError }
        return RPCError(code: .internalError, message: "the response could not be converted to JSON")
    }

    private func stream(_ route: JSONRoute, message: [UInt8], channel: RPCChannel, options: CallOptions,
                        request: PlainHTTPRequest, responder: any PlainHTTPResponder) async throws {
        let lines = (request.header("accept") ?? "").contains("application/x-ndjson")
        let call: ServerStreamingCall<OpaqueMessage> = channel.serverStreaming(path: route.grpcPath, request: OpaqueMessage(bytes: message),
                                                                               options: options)
        // Headers go out at once: a feed with nothing new yet must not leave the client without
        // an answer. Whatever fails after this (a bad cursor included) arrives as the stream's
        // last event, a google.rpc.Status.
        let contentType = lines ? "application/x-ndjson" : "text/event-stream; charset=utf-8"
        do {
            try await responder.startStream(PlainHTTPResponseHead(status: 200, headers: [
                ("content-type", contentType), ("cache-control", "no-cache"), ("x-accel-buffering", "no"),
            ]))
        } catch {
            call.cancel()
            return
        }
        // A pump task reads the backend stream one message ahead at most (it waits for each to be
        // written before reading the next: a slow reader still holds back its own feed), so that
        // while the feed is idle a heartbeat comment can go out: proxies and load balancers
        // close connections that stay silent for a minute or so.
        let (items, itemSink) = AsyncStream<FeedItem>.makeStream()
        let (acks, ackSink) = AsyncStream<Void>.makeStream()
        let pump = Task {
            var written = acks.makeAsyncIterator()
            do {
                for try await message in call {
                    itemSink.yield(.message(message))
                    guard await written.next() != nil else { return }
                }
                itemSink.yield(.ended)
            } catch {
                itemSink.yield(.failed(error))
            }
        }
        let ticker: Task<Void, Never>? = lines ? nil : feedHeartbeat.map { interval in
            Task {
                while !Task.isCancelled {
                    try? await Task.sleep(for: interval)
                    if !Task.isCancelled { itemSink.yield(.heartbeat) }
                }
            }
        }
        defer {
            pump.cancel()
            ticker?.cancel()
            ackSink.finish()
            itemSink.finish()
        }
        do {
            if !lines { try await responder.send(Array(": feed open\n\n".utf8)) }
            feed: for await item in items {
                switch item {
                case .message(let message):
                    let json = try route.responseToJSON(message.bytes)
                    try await responder.send(Self.frame(json, lines: lines))
                    ackSink.yield(())
                case .heartbeat:
                    try await responder.send(Array(": ping\n\n".utf8))
                case .failed(let error):
                    throw error
                case .ended:
                    break feed
                }
            }
        } catch is PlainHTTPClientGone {
            call.cancel()
        } catch {
            call.cancel()
            // Mid-stream failure: the status as a last event (the HTTP status is already sent).
            let status = JSONStatus.status(of: Self.rpcError(error)).protoJSON()
            let text = lines ? JSONWriter.bytes(.object([("error", status)])) + [0x0A]
                : Array("event: error\ndata: ".utf8) + JSONWriter.bytes(status) + Array("\n\n".utf8)
            try? await responder.send(text)
        }
    }

    /// One server-sent event (`id:` = the message's cursor, so EventSource resumes with
    /// Last-Event-ID) or one JSON line.
    static func frame(_ json: JSONValue, lines: Bool) -> [UInt8] {
        if lines { return JSONWriter.bytes(json) + [0x0A] }
        var out: [UInt8] = []
        if case .string(let cursor)? = json["cursor"], !cursor.contains("\n") {
            out += Array("id: \(cursor)\n".utf8)
        }
        out += Array("data: ".utf8) + JSONWriter.bytes(json) + Array("\n\n".utf8)
        return out
    }
}

/// What the feed's consumer receives: the backend's messages, heartbeats, the end.
enum FeedItem: Sendable {
    case message(OpaqueMessage)
    case heartbeat
    case failed(any Error)
    case ended
}
