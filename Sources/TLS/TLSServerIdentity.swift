import Glibc
import Synchronization

/// The server's current TLS context, loaded again when its files change: a renewed
/// certificate (cert-manager, a rotated Kubernetes Secret, a copied file) is taken up without
/// a restart. New connections get the new context; connections already open keep theirs until
/// they end. Files that fail to load (a half-written key, a key that does not match) leave the
/// last good context in place, and the failure is reported once per change.
///
/// The files are looked at when a connection arrives, at most once per `checkInterval`: no
/// thread and no signal handling, and an idle server does no work.
public final class TLSServerIdentity: Sendable {
    public enum Event: Sendable {
        case reloaded(subject: String, notAfter: String)
        case reloadFailed(TLSError)
    }

    public let files: TLSServerFiles
    public let checkInterval: Duration
    private let onEvent: @Sendable (Event) -> Void
    private let state: Mutex<State>

    private struct State {
        var context: TLSServerContext
        var stamps: [FileStamp]
        var lastCheck: ContinuousClock.Instant
    }

    /// Loads the files now (throws when they do not load: a server must not start without).
    public init(files: TLSServerFiles, checkInterval: Duration = .seconds(1),
                onEvent: @escaping @Sendable (Event) -> Void = { _ in }) throws(TLSError) {
        self.files = files
        self.checkInterval = checkInterval
        self.onEvent = onEvent
        let stamps = Self.stamps(of: files)
        let context = try TLSServerContext(files: files)
        state = Mutex(State(context: context, stamps: stamps, lastCheck: .now))
    }

    /// The context for a new connection, reloaded first when the files changed.
    public var current: TLSServerContext {
        let now = ContinuousClock.now
        let (context, changed) = state.withLock { state -> (TLSServerContext, [FileStamp]?) in
            guard now - state.lastCheck >= checkInterval else { return (state.context, nil) }
            state.lastCheck = now
            let stamps = Self.stamps(of: files)
            return (state.context, stamps == state.stamps ? nil : stamps)
        }
        guard let changed else { return context }
        return reload(stamps: changed) ?? context
    }

    /// Loads the files now, whatever their stamps say (tests, an operator's explicit reload).
    @discardableResult
    public func reloadNow() -> TLSServerContext? {
        reload(stamps: Self.stamps(of: files))
    }

    private func reload(stamps: [FileStamp]) -> TLSServerContext? {
        do {
            let context = try TLSServerContext(files: files)
            state.withLock {
                $0.context = context
                $0.stamps = stamps
            }
            onEvent(.reloaded(subject: context.certificateSubject, notAfter: context.certificateNotAfter))
            return context
        } catch {
            // Recorded as seen: the same broken files are not parsed again on every connection.
            state.withLock { $0.stamps = stamps }
            onEvent(.reloadFailed(error))
            return nil
        }
    }

    /// What tells a changed file: its inode (a replaced file or a swapped symlink), size and
    /// modification time.
    struct FileStamp: Equatable {
        var inode: UInt64
        var size: Int64
        var seconds: Int
        var nanoseconds: Int
    }

    private static func stamps(of files: TLSServerFiles) -> [FileStamp] {
        ([files.certificateChain, files.privateKey] + (files.clientCA.map { [$0] } ?? [])).map { path in
            var info = stat()
            guard stat(path, &info) == 0 else { return FileStamp(inode: 0, size: -1, seconds: 0, nanoseconds: 0) }
            return FileStamp(inode: UInt64(info.st_ino), size: Int64(info.st_size),
                             seconds: info.st_mtim.tv_sec, nanoseconds: info.st_mtim.tv_nsec)
        }
    }
}
