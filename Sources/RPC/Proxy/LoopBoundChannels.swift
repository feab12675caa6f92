import NetIO
import Synchronization

/// Channels to one backend, one per server event loop, so a handler that calls the backend
/// (a proxy, a gateway) stays on its own thread: without this every forwarded call hops to the
/// channel's thread and back (two context switches and an eventfd wake-up each way).
public final class LoopBoundChannels: Sendable {
    public let host: String
    public let port: Int
    private let configuration: RPCChannel.Configuration
    private let channels = Mutex<[ObjectIdentifier: RPCChannel]>([:])
    /// A channel on a loop of its own, for callers outside any call (health probes, tools).
    public let detached: RPCChannel

    public init(host: String, port: Int, configuration: RPCChannel.Configuration = RPCChannel.Configuration()) {
        self.host = host
        self.port = port
        self.configuration = configuration
        self.detached = RPCChannel(host: host, port: port, configuration: configuration)
    }

    /// The channel bound to the loop running `context`'s call (created on first use).
    public func channel(for context: ServerContext) -> RPCChannel {
        let loop = context.loop
        return channels.withLock { channels in
            if let existing = channels[ObjectIdentifier(loop)] { return existing }
            let channel = RPCChannel(host: host, port: port, loop: loop, configuration: configuration)
            channels[ObjectIdentifier(loop)] = channel
            return channel
        }
    }

    public func close() {
        detached.close()
        for channel in channels.withLock({ Array($0.values) }) { channel.close() }
    }
}
