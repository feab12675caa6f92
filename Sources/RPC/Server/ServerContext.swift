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
    let requestHeaders: HTTP2HeaderBlock
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
    /// searched in place rather than a dictionary hashed per access. Entries are structs, not
    /// tuples: a tuple holding an existential is copied and destroyed through the runtime's
    /// generic tuple witnesses (callgrind: ~2k instructions per call in all).
    @usableFromInline var values: [ContextValue]

    @usableFromInline
    struct ContextValue {
        @usableFromInline let key: ObjectIdentifier
        @usableFromInline var value: any Sendable

        @usableFromInline
        init(key: ObjectIdentifier, value: any Sendable) {
            self.key = key
            self.value = value
        }
    }

    /// The loop running the call (for channels bound to it, see `LoopBoundChannels`).
    let loop: EventLoop
    /// Kept for the life of the call's connection, shared by its calls.
    public let connectionValues: ConnectionValues

    init(path: String, requestHeaders: HTTP2HeaderBlock, deadline: MonotonicTime?, peer: String, loop: EventLoop,
         connectionValues: ConnectionValues) {
        self.loop = loop
        self.connectionValues = connectionValues
        self.path = path
        self.requestHeaders = requestHeaders
        self.deadline = deadline
        self.peer = peer
        self.startedAt = MonotonicTime.now()
        // Room for what the standard interceptors attach (trace, actor, metrics series) and a
        // handler's own entry: one allocation instead of the list growing 1, 2, 4.
        var values: [ContextValue] = []
        values.reserveCapacity(4)
        self.values = values
    }

    /// The first text value of request metadata `name` (lower-case; a name without `-bin`),
    /// as `requestMetadata[name]` answers it. Read from the headers in place while the
    /// metadata is not decoded: the interceptors every call runs (trace, actor) and most
    /// handlers (the idempotency key) want one or two entries, and decoding all of them cost
    /// an allocation per field on every call.
    public func requestText(_ name: String) -> String? {
        if let decodedMetadata { return decodedMetadata[name] }
        // A binary name's field is found by the same name, so its suffix in the block answers
        // whether the name is binary (no check of the String first).
        guard let index = MetadataCodec.firstApplicationField(named: name, in: requestHeaders),
              !requestHeaders.hasBinarySuffix(at: index) else { return nil }
        return String(decoding: requestHeaders.value(at: index), as: UTF8.self)
    }

    /// The value of request metadata `name` when it has exactly one, `.absent` or `.several`
    /// otherwise (`.absent` for a name without `-bin`); read in place like `requestText`.
    public func requestSingleBinary(_ name: String) -> SingleMetadataValue<[UInt8]> {
        guard MetadataCodec.isBinaryName(name) else { return .absent }
        if let decodedMetadata {
            let values = decodedMetadata.values(name)
            switch values.count {
            case 0: return .absent
            case 1: if case .binary(let bytes) = values[0] { return .one(bytes) } else { return .several }
            default: return .several
            }
        }
        return MetadataCodec.singleBinaryValue(named: name, in: requestHeaders)
    }

    /// Inlinable, so a caller in another module gets it specialised for its key (unspecialised,
    /// every access looked up the key's metadata at run time: ~1% of a call's CPU).
    @inlinable
    public subscript<Key: ServerContextKey>(key: Key.Type) -> Key.Value? {
        get {
            let id = ObjectIdentifier(key)
            // By index: only the keys are read until one matches (no copy of each entry).
            for index in values.indices where values[index].key == id { return values[index].value as? Key.Value }
            return nil
        }
        set { store(newValue, for: ObjectIdentifier(key)) }
    }

    @usableFromInline
    func store(_ value: (any Sendable)?, for id: ObjectIdentifier) {
        let index = values.indices.first { values[$0].key == id }
        switch (index, value) {
        case (let index?, let value?): values[index].value = value
        case (let index?, nil): values.remove(at: index)
        case (nil, let value?): values.append(ContextValue(key: id, value: value))
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

extension ServerContext {
    /// The wire bytes of request metadata `name` (base64 text for a `-bin` name, as received)
    /// when it has exactly one value: for caches keyed by what arrived, which then need no
    /// decoding on a hit (the actor verifier).
    public func requestSingleWireValue(_ name: String) -> SingleMetadataValue<ArraySlice<UInt8>> {
        guard let index = MetadataCodec.firstApplicationField(named: name, in: requestHeaders) else { return .absent }
        let value = requestHeaders.value(at: index)
        // The field found is named `name`: its suffix in the block answers whether it is binary.
        if requestHeaders.hasBinarySuffix(at: index) && ByteStrings.contains(value, UInt8(ascii: ",")) { return .several }
        if requestHeaders.firstIndex(named: name, from: index + 1) != nil { return .several }
        return .one(value)
    }
}

/// One metadata entry looked up by name, where exactly one is expected.
public enum SingleMetadataValue<Value: Sendable>: Sendable {
    case absent
    case one(Value)
    /// More than one value (repeated fields, or comma-joined values in one field).
    case several
}
