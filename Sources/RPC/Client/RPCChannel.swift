import HTTP2
import NetIO
import ProtoCodec

/// A client for one server address: one HTTP/2 connection multiplexing all calls, reconnected
/// on demand. Its state lives on one event loop; calls from any task hop there.
public final class RPCChannel: @unchecked Sendable {
    public struct Configuration: Sendable {
        public var maxReceiveMessageSize = 4 * 1024 * 1024
        public var http2 = HTTP2Settings()
        public init() {}
    }

    let core: ChannelCore
    private let ownedThread: LoopThread?
    /// The channel whose loop thread this one shares (`sibling`), kept alive with it.
    private let loopOwner: RPCChannel?

    /// A channel with an event loop thread of its own.
    public convenience init(host: String, port: Int, configuration: Configuration = Configuration()) {
        // Creating an epoll instance fails only when the process is out of descriptors; a
        // channel without a loop could never work, so that is a fatal condition.
        guard let loop = try? EventLoop(name: "rpc-client-\(host):\(port)") else {
            fatalError("cannot create an event loop for the channel to \(host):\(port)")
        }
        let thread = LoopThread(loop: loop)
        do { try thread.start() } catch { fatalError("cannot start the channel's loop thread: \(error)") }
        self.init(host: host, port: port, loop: loop, ownedThread: thread, configuration: configuration)
    }

    /// A channel on an existing loop (a server's, so that a proxying handler never leaves it).
    public convenience init(host: String, port: Int, loop: EventLoop, configuration: Configuration = Configuration()) {
        self.init(host: host, port: port, loop: loop, ownedThread: nil, configuration: configuration)
    }

    private init(host: String, port: Int, loop: EventLoop, ownedThread: LoopThread?, loopOwner: RPCChannel? = nil,
                 configuration: Configuration) {
        self.core = ChannelCore(host: host, port: port, loop: loop, settings: configuration.http2,
                                maxMessageSize: configuration.maxReceiveMessageSize)
        self.ownedThread = ownedThread
        self.loopOwner = loopOwner
    }

    /// A channel to another address on this channel's loop thread: a client of several peers
    /// (an outbox relay) needs one thread for all of them, not one each.
    public func sibling(host: String, port: Int, configuration: Configuration = Configuration()) -> RPCChannel {
        RPCChannel(host: host, port: port, loop: core.loop, ownedThread: nil, loopOwner: loopOwner ?? self,
                   configuration: configuration)
    }

    /// The channel's loop as a task executor: a task that prefers it runs on the loop's thread,
    /// so its calls on this channel (and its siblings) start without a thread hop, and their
    /// answers resume it there without waking another thread.
    public var taskExecutor: any TaskExecutor { core.loop }

    deinit {
        if let ownedThread {
            ownedThread.loop.stop()
            ownedThread.join()
        }
    }

    var loop: EventLoop { core.loop }

    /// Fails waiting calls, closes the connection and, if the channel owns its loop, stops it.
    public func close() {
        let core = self.core
        core.loop.execute { core.close() }
    }

    func makeStream(path: String, options: CallOptions) -> ClientStream {
        ClientStream(path: path, options: options, maxMessageSize: core.maxMessageSize)
    }

    func frame<Message: ProtoMessage>(_ message: Message) -> [UInt8] {
        let arena = core.arena
        return MessageFramer.frame { message.encode(appendingTo: &$0, arena: arena) }
    }

    func decode<Message: ProtoMessage>(_ bytes: ArraySlice<UInt8>, as type: Message.Type) -> Result<Message, RPCError> {
        do {
            return .success(try Message.decode(bytes: bytes, arena: core.arena))
        } catch {
            return .failure(RPCError(code: .internalError, message: "could not decode the response as \(Message.protoMessageName)"))
        }
    }

    /// Runs `body` on the loop and waits for it to resume the continuation.
    func onLoop<T>(_ body: @escaping (CheckedContinuation<T, any Error>) -> Void) async throws -> T {
        let loop = core.loop
        return try await withCheckedThrowingContinuation { continuation in
            loop.execute { body(continuation) }
        }
    }

    func cancelOnLoop(_ stream: ClientStream) {
        core.loop.execute {
            stream.fail(RPCError(code: .cancelled, message: "the call was cancelled by the client"))
        }
    }
}
