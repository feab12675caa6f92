import HTTP2
import NetIO

/// What a handler knows about its call, and the metadata it sends back. Handlers run on the
/// loop thread that owns the call, so its mutable parts need no lock.
public final class ServerContext: @unchecked Sendable {
    /// `/package.Service/Method`.
    public let path: String
    /// The client's metadata, decoded from the request headers on first use (most calls of a
    /// busy service never look, and decoding costs an allocation per field).
    public var requestMetadata: Metadata {
        if let decoded = decodedMetadata { return decoded }
        // The headers were validated when the call arrived, so decoding cannot fail here.
        let decoded = (try? MetadataCodec.metadata(from: requestHeaders)) ?? Metadata()
        decodedMetadata = decoded
        return decoded
    }
    private let requestHeaders: HTTP2HeaderBlock
    private var decodedMetadata: Metadata?
    /// When the client's `grpc-timeout` runs out, if it sent one.
    public let deadline: MonotonicTime?
    public let peer: String
    /// Sent with the response headers, so set it before the first response message.
    public var initialMetadata = Metadata()
    /// Sent with the status at the end of the call.
    public var trailingMetadata = Metadata()
    /// A unary handler whose response was already encoded (the order intake keeps it as an
    /// idempotency key's answer) sets the bytes here: they are sent as they are instead of
    /// encoding the returned message a second time. Must be that very message's encoding
    /// (checked in debug builds).
    public var encodedResponse: [UInt8]?
    public internal(set) var isCancelled = false
    /// Set when the server sends its final GOAWAY. A shutdown waits for calls in flight until
    /// its grace period ends; a long-lived stream (a watch) never ends on its own, so its
    /// handler should look at this between waits and end (`checkServerShutdown`): the server
    /// then stops at once and the client reconnects, to another replica or the restarted one.
    public internal(set) var isServerShuttingDown = false
    /// When the call arrived, for interceptors that time it.
    public let startedAt: MonotonicTime
    /// What interceptors attach (the trace, the verified actor...): a few entries, so a list
    /// searched in place rather than a dictionary hashed per access.
    @usableFromInline var values: [(key: ObjectIdentifier, value: any Sendable)] = []

    /// The loop running the call (for channels bound to it, see `LoopBoundChannels`).
    let loop: EventLoop

    init(path: String, requestHeaders: HTTP2HeaderBlock, deadline: MonotonicTime?, peer: String, loop: EventLoop) {
        self.loop = loop
        self.path = path
        self.requestHeaders = requestHeaders
        self.deadline = deadline
        self.peer = peer
        self.startedAt = MonotonicTime.now()
    }

    /// Inlinable, so a caller in another module gets it specialised for its key (unspecialised,
    /// every access looked up the key's metadata at run time: ~1% of a call's CPU).
    @inlinable
    public subscript<Key: ServerContextKey>(key: Key.Type) -> Key.Value? {
        get {
            let id = ObjectIdentifier(key)
            for entry in values where entry.key == id { return entry.value as? Key.Value }
            return nil
        }
        set { store(newValue, for: ObjectIdentifier(key)) }
    }

    @usableFromInline
    func store(_ value: (any Sendable)?, for id: ObjectIdentifier) {
        let index = values.firstIndex { $0.key == id }
        switch (index, value) {
        case (let index?, let value?): values[index].value = value
        case (let index?, nil): values.remove(at: index)
        case (nil, let value?): values.append((id, value))
        case (nil, nil): break
        }
    }

    /// Throws UNAVAILABLE once the server shuts down (for the loops of watch streams): a status
    /// clients retry, with `resume` telling them how to carry on.
    public func checkServerShutdown(resume: String) throws {
        guard isServerShuttingDown else { return }
        throw RPCError(code: .unavailable, message: "the server is shutting down; " + resume)
    }

    /// Time left before the deadline (nil when the client set none).
    public var timeRemaining: Duration? { deadline?.remaining() }
}
