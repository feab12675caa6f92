/// What a session advertises and enforces. The defaults are the server's DoS posture.
public struct HTTP2Settings: Sendable {
    public var maxConcurrentStreams: UInt32 = 256
    public var maxHeaderListSize: UInt32 = 16 * 1024
    /// Per-stream receive window. Large enough that a 4 MiB message needs few WINDOW_UPDATEs.
    public var initialWindowSize: UInt32 = 1 << 20
    public var connectionWindowSize: Int32 = 16 << 20
    /// nghttp2's own flood protections, kept on deliberately.
    public var maxSettingsEntries: Int = 32
    public var resetBurst: UInt64 = 1000
    public var resetRatePerSecond: UInt64 = 33
    public var maxContinuations: Int = 8
    /// When true nghttp2 sends no WINDOW_UPDATE by itself: the owner gives received bytes back
    /// with `HTTP2Session.consume` once it has used them, so a peer can only send as much as
    /// the owner is ready to hold (inbound backpressure). The server sets it; a client that
    /// does not call `consume` must leave it off or its responses stall.
    public var manualWindowUpdates = false

    public init() {}
}
