import CLinux
import Glibc
import Synchronization

/// The thread-specific slot behind `EventLoop.current` (created once, never changed).
private let currentLoopKey: pthread_key_t = {
    var key = pthread_key_t()
    pthread_key_create(&key, nil)
    return key
}()

/// Receives readiness events for one file descriptor registered with an `EventLoop`.
public protocol IOHandler: AnyObject {
    func handleIO(readable: Bool, writable: Bool, hangup: Bool)
}

/// Work to run once per loop iteration after all ready I/O and jobs were handled: connections
/// use it to flush everything the iteration produced in one write.
public protocol TickHandler: AnyObject {
    func tickEnded()
}

/// One thread, one epoll instance. It is also a `TaskExecutor`: a task started with this loop as
/// its executor preference runs its non-isolated code on the loop thread, so an RPC handler
/// stays on the thread that received the call instead of hopping to the global pool.
///
/// Everything that touches loop-owned state must run on the loop thread; other threads reach
/// the loop only through `execute(_:)` and `enqueue(_:)`, which lock a small queue and wake it.
public final class EventLoop: TaskExecutor, @unchecked Sendable {
    public let name: String
    private let epollFD: Int32
    private let wakeFD: Int32
    /// By descriptor: fds are small and dense, so an array index instead of a hash per event.
    private var handlers: [IOHandler?] = []
    private var localJobs: [UnownedJob] = []
    private var localWork: [() -> Void] = []
    private var tickHandlers: [TickHandler] = []
    /// Emptied buffers the queues above swap with while a batch runs: taking a batch then
    /// allocates nothing (a copy and `removeAll(keepingCapacity:)` allocated a new buffer for
    /// each queue on every iteration, since the batch still shared the old one).
    private var spareJobs: [UnownedJob] = []
    private var spareWork: [() -> Void] = []
    private var spareTickHandlers: [TickHandler] = []
    private var spareRemoteJobs: [UnownedJob] = []
    private var spareRemoteWork: [@Sendable () -> Void] = []
    private var timers = TimerQueue()
    private let remote = Mutex(RemoteQueue())
    private let loopThread = Mutex<pthread_t?>(nil)
    private var cachedThread: pthread_t?
    private let stopRequested = Atomic<Bool>(false)

    private struct RemoteQueue {
        var jobs: [UnownedJob] = []
        var work: [@Sendable () -> Void] = []
        var wakePending = false
    }

    public init(name: String) throws(NetIOError) {
        self.name = name
        let epoll = epoll_create1(Int32(EPOLL_CLOEXEC))
        guard epoll >= 0 else { throw NetIOError.system("epoll_create1", errno) }
        let wake = eventfd(0, Int32(EFD_NONBLOCK) | Int32(EFD_CLOEXEC))
        guard wake >= 0 else {
            close(epoll)
            throw NetIOError.system("eventfd", errno)
        }
        epollFD = epoll
        wakeFD = wake
        var event = epoll_event()
        event.events = EPOLLIN.rawValue
        event.data.fd = wake
        _ = epoll_ctl(epoll, EPOLL_CTL_ADD, wake, &event)
    }

    deinit {
        close(epollFD)
        close(wakeFD)
    }

    // MARK: Thread identity

    /// The loop running on the calling thread, if any: lets a library that is called from a
    /// handler (the Postgres pool) wait for its own sockets on that same loop instead of
    /// handing work to another thread and back.
    public static var current: EventLoop? {
        pthread_getspecific(currentLoopKey).map { Unmanaged<EventLoop>.fromOpaque($0).takeUnretainedValue() }
    }

    /// True when called on this loop's thread.
    public var inLoop: Bool {
        guard let thread = cachedThread else { return false }
        return pthread_equal(thread, pthread_self()) != 0
    }

    // MARK: Registration (loop thread only)

    public func register(fd: Int32, handler: IOHandler, readable: Bool = true, writable: Bool = false) throws(NetIOError) {
        var event = epoll_event()
        event.events = interestMask(readable: readable, writable: writable)
        event.data.fd = fd
        guard epoll_ctl(epollFD, EPOLL_CTL_ADD, fd, &event) == 0 else {
            throw NetIOError.system("epoll_ctl(ADD)", errno)
        }
        setHandler(handler, for: fd)
    }

    /// Registers `fd` for one readiness event at a time (EPOLLONESHOT): after each event the
    /// registration stays but is disarmed until `rearm`. For a socket this loop waits on now
    /// and then but does not own (a pooled database connection): between waits it costs no
    /// epoll_ctl ADD and DEL, an idle socket never wakes the loop, and another thread may use
    /// the socket meanwhile. Closing the descriptor ends the registration (the kernel drops it).
    public func registerOneShot(fd: Int32, handler: IOHandler, readable: Bool, writable: Bool) throws(NetIOError) {
        var event = epoll_event()
        event.events = interestMask(readable: readable, writable: writable) | EPOLLONESHOT.rawValue
        event.data.fd = fd
        // EEXIST: still registered from an earlier handler of this descriptor; take it over.
        guard epoll_ctl(epollFD, EPOLL_CTL_ADD, fd, &event) == 0
              || (errno == EEXIST && epoll_ctl(epollFD, EPOLL_CTL_MOD, fd, &event) == 0) else {
            throw NetIOError.system("epoll_ctl(ADD)", errno)
        }
        setHandler(handler, for: fd)
    }

    /// Arms a `registerOneShot` registration for its next event (loop thread only).
    public func rearm(fd: Int32, readable: Bool, writable: Bool) throws(NetIOError) {
        var event = epoll_event()
        event.events = interestMask(readable: readable, writable: writable) | EPOLLONESHOT.rawValue
        event.data.fd = fd
        guard epoll_ctl(epollFD, EPOLL_CTL_MOD, fd, &event) == 0 else {
            throw NetIOError.system("epoll_ctl(MOD)", errno)
        }
    }

    /// Whether `handler` is the one registered for `fd` here (a one-shot registration outlives
    /// its socket in this table until the descriptor is registered again).
    public func isRegistered(fd: Int32, handler: IOHandler) -> Bool {
        fd >= 0 && Int(fd) < handlers.count && handlers[Int(fd)] === handler
    }

    private func setHandler(_ handler: IOHandler?, for fd: Int32) {
        let index = Int(fd)
        guard index >= 0 else { return }
        if index >= handlers.count {
            guard handler != nil else { return }
            handlers.append(contentsOf: repeatElement(nil, count: index + 1 - handlers.count))
        }
        handlers[index] = handler
    }

    public func modify(fd: Int32, readable: Bool, writable: Bool) {
        var event = epoll_event()
        event.events = interestMask(readable: readable, writable: writable)
        event.data.fd = fd
        _ = epoll_ctl(epollFD, EPOLL_CTL_MOD, fd, &event)
    }

    public func deregister(fd: Int32) {
        var event = epoll_event()
        _ = epoll_ctl(epollFD, EPOLL_CTL_DEL, fd, &event)
        setHandler(nil, for: fd)
    }

    private func interestMask(readable: Bool, writable: Bool) -> UInt32 {
        var mask = EPOLLRDHUP.rawValue
        if readable { mask |= EPOLLIN.rawValue }
        if writable { mask |= EPOLLOUT.rawValue }
        return mask
    }

    /// Asks for `tickEnded()` at the end of the current iteration (loop thread only).
    public func requestTickEnd(_ handler: TickHandler) {
        tickHandlers.append(handler)
    }

    // MARK: Scheduling

    /// Runs `work` on the loop thread: at once in order if already there, else queued and woken.
    public func execute(_ work: @escaping @Sendable () -> Void) {
        if inLoop {
            localWork.append(work)
            return
        }
        let needsWake = remote.withLock { queue -> Bool in
            queue.work.append(work)
            defer { queue.wakePending = true }
            return !queue.wakePending
        }
        if needsWake { wake() }
    }

    /// Queues loop-thread work that need not be Sendable (loop thread only).
    public func executeLocal(_ work: @escaping () -> Void) {
        localWork.append(work)
    }

    public func enqueue(_ job: consuming ExecutorJob) {
        let unowned = UnownedJob(job)
        if inLoop {
            localJobs.append(unowned)
            return
        }
        let needsWake = remote.withLock { queue -> Bool in
            queue.jobs.append(unowned)
            defer { queue.wakePending = true }
            return !queue.wakePending
        }
        if needsWake { wake() }
    }

    /// Calls `work` on the loop thread at or after `deadline` unless cancelled first.
    @discardableResult
    public func schedule(at deadline: MonotonicTime, _ work: @escaping () -> Void) -> TimerID {
        timers.add(deadline: deadline, work: work)
    }

    /// Calls `target.timerFired()` on the loop thread at or after `deadline` unless cancelled
    /// first; the target is held until then (cancelling drops it).
    @discardableResult
    public func schedule(at deadline: MonotonicTime, target: any TimerTarget) -> TimerID {
        timers.add(deadline: deadline, work: .target(target))
    }

    public func cancelTimer(_ id: TimerID) {
        timers.cancel(id)
    }

    private func wake() {
        var one: UInt64 = 1
        _ = write(wakeFD, &one, 8)
    }

    private func drainWake() {
        var value: UInt64 = 0
        _ = read(wakeFD, &value, 8)
    }

    // MARK: Running

    /// Runs the loop on the calling thread until `stop()`.
    public func run() {
        let me = pthread_self()
        loopThread.withLock { $0 = me }
        cachedThread = me
        pthread_setspecific(currentLoopKey, Unmanaged.passUnretained(self).toOpaque())
        defer { pthread_setspecific(currentLoopKey, nil) }
        var events = [epoll_event](repeating: epoll_event(), count: 256)
        while !stopRequested.load(ordering: .relaxed) {
            let timeout = pollTimeout()
            let ready = events.withUnsafeMutableBufferPointer { buffer in
                epoll_wait(epollFD, buffer.baseAddress, Int32(buffer.count), timeout)
            }
            if ready > 0 {
                for index in 0..<Int(ready) {
                    dispatch(events[index])
                }
            }
            takeRemoteWork()
            let now = MonotonicTime.now()
            while let due = timers.popDue(now: now) { due.run() }
            runLocalWork()
            endTick()
        }
        cachedThread = nil
    }

    /// Stops the loop after its current iteration (any thread).
    public func stop() {
        stopRequested.store(true, ordering: .relaxed)
        wake()
    }

    private func pollTimeout() -> Int32 {
        if !localJobs.isEmpty || !localWork.isEmpty || !tickHandlers.isEmpty { return 0 }
        guard let next = timers.nextDeadline() else { return -1 }
        let now = MonotonicTime.now()
        if next <= now { return 0 }
        // Round up so a timer never fires early.
        let millis = (next.nanoseconds - now.nanoseconds + 999_999) / 1_000_000
        return Int32(min(millis, 60_000))
    }

    private func dispatch(_ event: epoll_event) {
        let fd = event.data.fd
        if fd == wakeFD {
            drainWake()
            return
        }
        guard fd >= 0, Int(fd) < handlers.count, let handler = handlers[Int(fd)] else { return }
        let flags = event.events
        let hangup = flags & (EPOLLHUP.rawValue | EPOLLERR.rawValue | EPOLLRDHUP.rawValue) != 0
        handler.handleIO(
            readable: flags & EPOLLIN.rawValue != 0,
            writable: flags & EPOLLOUT.rawValue != 0,
            hangup: hangup)
    }

    private func takeRemoteWork() {
        // Swapped with the spare (empty) buffers under the lock: nothing allocated either side.
        remote.withLock { queue in
            queue.wakePending = false
            if !queue.jobs.isEmpty { swap(&queue.jobs, &spareRemoteJobs) }
            if !queue.work.isEmpty { swap(&queue.work, &spareRemoteWork) }
        }
        if !spareRemoteJobs.isEmpty {
            localJobs.append(contentsOf: spareRemoteJobs)
            spareRemoteJobs.removeAll(keepingCapacity: true)
        }
        if !spareRemoteWork.isEmpty {
            for item in spareRemoteWork { localWork.append(item) }
            spareRemoteWork.removeAll(keepingCapacity: true)
        }
    }

    /// Runs queued work and jobs, including what they queue in turn, but bounded so that I/O
    /// is polled again even when tasks keep rescheduling themselves.
    private func runLocalWork() {
        var rounds = 0
        while (!localJobs.isEmpty || !localWork.isEmpty) && rounds < 64 {
            rounds += 1
            if !localWork.isEmpty {
                // What the batch queues lands in the (empty) spare, run in the next round.
                swap(&localWork, &spareWork)
                for item in spareWork { item() }
                spareWork.removeAll(keepingCapacity: true)
            }
            if !localJobs.isEmpty {
                swap(&localJobs, &spareJobs)
                let executor = asUnownedTaskExecutor()
                for job in spareJobs { job.runSynchronously(on: executor) }
                spareJobs.removeAll(keepingCapacity: true)
            }
        }
    }

    /// Runs the handlers registered during this iteration, once each. Handlers registered
    /// while these run wait for the next iteration, after I/O has been polled again: a
    /// connection waiting for the peer's window must not spin here without reading it.
    private func endTick() {
        guard !tickHandlers.isEmpty else { return }
        swap(&tickHandlers, &spareTickHandlers)
        for handler in spareTickHandlers { handler.tickEnded() }
        spareTickHandlers.removeAll(keepingCapacity: true)
    }
}
