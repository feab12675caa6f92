import ProtoCodec

/// Per-call options of a client call.
public struct CallOptions: Sendable {
    public var metadata: Metadata
    /// Sent as `grpc-timeout`; the call fails with DEADLINE_EXCEEDED when it passes.
    public var timeout: Duration?
    /// Wait for a connection instead of failing fast with UNAVAILABLE while reconnecting.
    public var waitForReady: Bool

    public init(metadata: Metadata = Metadata(), timeout: Duration? = nil, waitForReady: Bool = false) {
        self.metadata = metadata
        self.timeout = timeout
        self.waitForReady = waitForReady
    }
}

/// The whole answer of a unary call, for callers that need the metadata too.
public struct UnaryResponse<Response: Sendable>: Sendable {
    public var message: Response
    public var initialMetadata: Metadata
    public var trailingMetadata: Metadata
}
