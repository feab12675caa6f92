import HTTP2

/// Streams that closed within one batch of events. A stream whose HEADERS and close arrive in
/// the same read was reset by the client before we could serve it (rapid reset): opening a call
/// for it would only be work thrown away.
enum StreamResets {
    static func closedStreams(in events: [HTTP2Event]) -> Set<Int32> {
        var closed = Set<Int32>()
        for case .streamClosed(let streamID, _) in events { closed.insert(streamID) }
        return closed
    }
}
