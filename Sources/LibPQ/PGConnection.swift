import CLibPQ
#if canImport(Glibc)
import Glibc
#endif

/// One libpq connection, always in non-blocking mode, driven with poll(2) against a deadline
/// so no call can outlive its caller's deadline.
///
/// Not thread-safe: a connection is confined to one thread at a time (the Postgres pool gives
/// each connection its own thread). The only cross-thread operation is `cancelHandle()`.
public final class PGConnection {
    let handle: OpaquePointer

    private init(handle: OpaquePointer) {
        self.handle = handle
    }

    deinit {
        PQfinish(handle)
    }

    /// Connects with libpq keyword/value parameters; the first may be `dbname` holding a URL
    /// or conninfo string, which later pairs override.
    public static func connect(parameters: [(String, String)], deadline: ContinuousClock.Instant?) throws(PostgresError) -> PGConnection {
        let started = CStringArrays.withPairs(parameters) { keywords, values in
            PQconnectStartParams(keywords, values, 1)
        }
        guard let started, let handle = started else {
            throw PostgresError(.unavailable, "libpq could not allocate a connection")
        }
        let connection = PGConnection(handle: handle)
        guard PQstatus(handle) != CONNECTION_BAD else {
            throw PostgresError.fromConnection(handle, kind: .unavailable, context: "connect failed")
        }
        var status = PGRES_POLLING_WRITING
        while status != PGRES_POLLING_OK {
            switch status {
            case PGRES_POLLING_READING:
                try connection.waitForSocket(read: true, write: false, deadline: deadline, failure: .unavailable)
            case PGRES_POLLING_WRITING:
                try connection.waitForSocket(read: false, write: true, deadline: deadline, failure: .unavailable)
            case PGRES_POLLING_FAILED:
                throw PostgresError.fromConnection(handle, kind: .unavailable, context: "connect failed")
            default:
                break
            }
            status = PQconnectPoll(handle)
        }
        guard PQsetnonblocking(handle, 1) == 0 else {
            throw PostgresError.fromConnection(handle, kind: .unavailable, context: "cannot enter non-blocking mode")
        }
        // The default processor prints NOTICEs ("relation exists, skipping") to stderr.
        PQsetNoticeProcessor(handle, { _, _ in }, nil)
        return connection
    }

    public enum TransactionStatus: Sendable {
        case idle, active, inTransaction, inFailedTransaction, unknown
    }

    public var transactionStatus: TransactionStatus {
        switch PQtransactionStatus(handle) {
        case PQTRANS_IDLE: return .idle
        case PQTRANS_ACTIVE: return .active
        case PQTRANS_INTRANS: return .inTransaction
        case PQTRANS_INERROR: return .inFailedTransaction
        default: return .unknown
        }
    }

    public var backendPID: Int32 { PQbackendPID(handle) }

    /// Cheap liveness check without a round trip: an idle connection should have nothing to
    /// read. If the socket is readable the server sent something: usually a FATAL followed by
    /// end-of-file (shutdown, crash, terminated backend). libpq files an ErrorResponse that
    /// arrives while idle away as a notice and keeps the connection "OK" until it reads the
    /// EOF, so keep reading while there is input and see whether the connection survives.
    public var isAlive: Bool {
        for _ in 0..<8 {
            guard PQstatus(handle) == CONNECTION_OK else { return false }
            let fd = PQsocket(handle)
            guard fd >= 0 else { return false }
            var descriptor = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            let ready = poll(&descriptor, 1, 0)
            if ready < 0 { return errno == EINTR }
            if ready == 0 { return PQisBusy(handle) == 0 }
            if descriptor.revents & Int16(POLLERR | POLLHUP | POLLNVAL) != 0 { return false }
            guard PQconsumeInput(handle) == 1 else { return false }
            // Parses what arrived (notices, parameter changes); drop notifications.
            _ = PQisBusy(handle)
            while let notify = PQnotifies(handle) { PQfreemem(notify) }
        }
        // Still more input after several reads while idle: not a state worth trusting.
        return false
    }

    /// A handle another thread may use to ask the server to cancel the running statement.
    public func cancelHandle() -> PGCancelHandle? {
        PQgetCancel(handle).map(PGCancelHandle.init)
    }

    /// Waits until the socket is readable/writable or the deadline passes.
    func waitForSocket(read: Bool, write: Bool, deadline: ContinuousClock.Instant?,
                       failure: PostgresError.Kind = .connection) throws(PostgresError) {
        let fd = PQsocket(handle)
        guard fd >= 0 else { throw PostgresError.fromConnection(handle, kind: failure, context: "no socket") }
        var events: Int32 = 0
        if read { events |= Int32(POLLIN) }
        if write { events |= Int32(POLLOUT) }
        while true {
            var timeoutMillis: Int32 = -1
            if let deadline {
                let remaining = deadline - ContinuousClock.now
                if remaining <= .zero {
                    throw PostgresError(.deadlineExceeded, "deadline exceeded waiting for the database")
                }
                let (seconds, attoseconds) = remaining.components
                let millis = seconds * 1000 + (attoseconds + 999_999_999_999_999) / 1_000_000_000_000_000
                timeoutMillis = Int32(clamping: millis)
            }
            var descriptor = pollfd(fd: fd, events: Int16(events), revents: 0)
            let ready = poll(&descriptor, 1, timeoutMillis)
            if ready > 0 { return }
            if ready < 0 && errno != EINTR {
                throw PostgresError(failure, "poll failed (errno \(errno))")
            }
        }
    }
}

/// A PGcancel object: PQcancel is documented as safe to call from any thread.
public final class PGCancelHandle: @unchecked Sendable {
    private let cancel: OpaquePointer

    init(_ cancel: OpaquePointer) { self.cancel = cancel }
    deinit { PQfreeCancel(cancel) }

    /// Asks the server to cancel whatever the connection is running; best effort.
    @discardableResult
    public func requestCancel() -> Bool {
        var buffer = [CChar](repeating: 0, count: 256)
        return PQcancel(cancel, &buffer, Int32(buffer.count)) == 1
    }
}

/// NUL-terminated C string arrays for libpq's keyword/value APIs, freed after the call.
enum CStringArrays {
    static func withPairs<R>(_ pairs: [(String, String)],
                             _ body: (UnsafePointer<UnsafePointer<CChar>?>, UnsafePointer<UnsafePointer<CChar>?>) -> R) -> R? {
        let keywords = pairs.map { UnsafePointer(strdup($0.0)) } + [nil]
        let values = pairs.map { UnsafePointer(strdup($0.1)) } + [nil]
        defer {
            for pointer in keywords + values { free(UnsafeMutablePointer(mutating: pointer)) }
        }
        return keywords.withUnsafeBufferPointer { keywordBuffer in
            values.withUnsafeBufferPointer { valueBuffer -> R? in
                guard let keywordBase = keywordBuffer.baseAddress, let valueBase = valueBuffer.baseAddress else {
                    return nil
                }
                return body(keywordBase, valueBase)
            }
        }
    }
}
