import Synchronization

/// Where a service process is in its life; /readyz is true only while serving.
final class ServiceLifecycleState: Sendable {
    enum Phase: Int { case idle, starting, serving, stopping, stopped }

    private let phase = Atomic<Int>(Phase.idle.rawValue)

    var current: Phase { Phase(rawValue: phase.load(ordering: .acquiring)) ?? .stopped }

    func set(_ new: Phase) { phase.store(new.rawValue, ordering: .releasing) }

    /// Moves from `expected` to `new`; false when another caller moved first.
    func advance(from expected: Phase, to new: Phase) -> Bool {
        phase.compareExchange(expected: expected.rawValue, desired: new.rawValue, ordering: .acquiringAndReleasing).exchanged
    }
}
