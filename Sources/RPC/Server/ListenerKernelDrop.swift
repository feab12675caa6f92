import NetIO

/// Keeps one listener's kernel filter (PeerDropFilter) in step with the addresses
/// AdmissionControl blocks (cooling-down addresses between their one connection a second), on the
/// listener's loop thread. Every SO_REUSEPORT listener of every loop, the TLS one too, has its
/// own: the kernel runs a socket's filter only for the packets that socket receives.
///
/// Re-attachments are rate-limited per listener (a token bucket: `attachBurst` at once,
/// `attachesPerSecond` after that): changes coming faster are applied together when the next
/// attachment is allowed; until then the refusal at accept covers the difference. The burst lets
/// the usual pair - a block lifted, then set again right after the address's one connection -
/// through at once. A timer applies the set again when its earliest block ends.
final class ListenerKernelDrop: @unchecked Sendable {
    static let attachBurst = 8.0
    static let attachesPerSecond = 40.0

    private let listener: TCPListener
    private let loop: EventLoop
    private let admission: AdmissionControl
    /// The generation of AdmissionControl's set the filter shows (0: nothing blocked, no filter).
    private var appliedGeneration = 0
    private var attachTokens = ListenerKernelDrop.attachBurst
    private var refilledAt = MonotonicTime.now()
    private var timer: (id: TimerID, at: MonotonicTime)?
    private var stopped = false

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
            refill(now)
            if attachTokens >= 1 {
                attachTokens -= 1
                // A refused attachment (the kernel's option memory, say) leaves the previous
                // filter; the refusal at accept still covers every cooling-down address.
                try? listener.dropConnections(PeerDropFilter(dropping: blocks.prefixes))
                appliedGeneration = blocks.generation
            } else {
                let allowed = now.adding(nanoseconds: UInt64((1 - attachTokens) / Self.attachesPerSecond * 1e9) + 1)
                wake = min(wake ?? allowed, allowed)
            }
        }
        if let wake { wakeUp(at: wake) }
    }

    private func refill(_ now: MonotonicTime) {
        guard now > refilledAt else { return }
        let seconds = Double(now.nanoseconds - refilledAt.nanoseconds) / 1e9
        attachTokens = min(Self.attachBurst, attachTokens + seconds * Self.attachesPerSecond)
        refilledAt = now
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
