import NetIO

/// Keeps one listener's kernel filter (PeerDropFilter) in step with the addresses
/// AdmissionControl blocks (cooling-down addresses between their one connection a second), on the
/// listener's loop thread. Every SO_REUSEPORT listener of every loop, the TLS one too, has its
/// own: the kernel runs a socket's filter only for the packets that socket receives.
///
/// Re-attachments are rate-limited (`minimumInterval` per listener): changes coming faster are
/// applied together once the interval has passed; until then the refusal at accept covers the
/// difference. A timer applies the set again when its earliest block ends.
final class ListenerKernelDrop: @unchecked Sendable {
    static let minimumInterval: Duration = .milliseconds(25)

    private let listener: TCPListener
    private let loop: EventLoop
    private let admission: AdmissionControl
    /// The generation of AdmissionControl's set the filter shows (0: nothing blocked, no filter).
    private var appliedGeneration = 0
    private var lastAttach = MonotonicTime(nanoseconds: 0)
    private var timer: (id: TimerID, at: MonotonicTime)?
    private var stopped = false
    /// Attachments the kernel refused (for tests; the refusal at accept still applies then).
    private(set) var failures = 0

    init(listener: TCPListener, loop: EventLoop, admission: AdmissionControl) {
        self.listener = listener
        self.loop = loop
        self.admission = admission
    }

    /// Watches `admission`'s blocks from now on (called once, before the loop runs).
    func start() {
        admission.watchKernelBlocks { [weak self] in
            guard let drop = self else { return }
            drop.loop.execute { drop.sync() }
        }
    }

    /// Applies the current set if it changed (at once, or when the rate limit allows) and wakes
    /// up again when its earliest block ends. Loop thread.
    func sync() {
        guard !stopped else { return }
        let now = MonotonicTime.now()
        let blocks = admission.kernelBlocks(now: now)
        var wake = blocks.nextExpiry
        if blocks.generation != appliedGeneration {
            let allowed = lastAttach.adding(Self.minimumInterval)
            if now >= allowed || lastAttach.nanoseconds == 0 {
                do {
                    try listener.dropConnections(PeerDropFilter(dropping: blocks.prefixes))
                } catch {
                    failures += 1
                }
                appliedGeneration = blocks.generation
                lastAttach = now
            } else {
                wake = min(wake ?? allowed, allowed)
            }
        }
        if let wake { wakeUp(at: wake) }
    }

    /// Before the listener closes.
    func stop() {
        stopped = true
        if let timer { loop.cancelTimer(timer.id) }
        timer = nil
    }

    private func wakeUp(at deadline: MonotonicTime) {
        if let timer {
            guard deadline < timer.at else { return }
            loop.cancelTimer(timer.id)
        }
        let id = loop.schedule(at: deadline) { [weak self] in
            self?.timer = nil
            self?.sync()
        }
        timer = (id, deadline)
    }
}
