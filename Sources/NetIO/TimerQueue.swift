/// Identifies a scheduled timer so it can be cancelled.
public struct TimerID: Hashable, @unchecked Sendable {
    /// The timer itself: cancelling clears its work in place, so neither scheduling nor
    /// cancelling hashes anything (a dictionary of work by id cost ~1% of a busy service's
    /// CPU: a database round trip and most calls each schedule and cancel one).
    let entry: TimerEntry

    public static func == (lhs: TimerID, rhs: TimerID) -> Bool { lhs.entry === rhs.entry }
    public func hash(into hasher: inout Hasher) { hasher.combine(ObjectIdentifier(entry)) }
}

/// An object a timer calls (`EventLoop.schedule(at:target:)`): the per-call deadlines (a server
/// call, a client call, a database exchange) name their owner instead of a closure capturing
/// it, which cost an allocation per timer.
public protocol TimerTarget: AnyObject {
    func timerFired()
}

/// What a due timer runs.
enum TimerWork {
    case closure(() -> Void)
    case target(any TimerTarget)

    func run() {
        switch self {
        case .closure(let work): work()
        case .target(let target): target.timerFired()
        }
    }

    func callAsFunction() { run() }
}

/// One timer's work, until it runs or is cancelled. Touched only on the
/// owning loop's thread (a `TimerID` held elsewhere is only handed back to that loop).
final class TimerEntry {
    var work: TimerWork?

    init(work: TimerWork) {
        self.work = work
    }
}

/// A binary min-heap of deadlines owned by one loop. Cancel is O(1): it clears the timer's
/// work (released at once) and the entry is dropped when it reaches the top - deadlines are
/// mostly cancelled, since most calls and round trips finish long before their timeout. Once
/// cancelled entries are most of the heap it is rebuilt without them, so a busy loop's heap
/// holds the live timers rather than every deadline of the last few seconds.
struct TimerQueue {
    /// The deadline inline, so sifting compares without loading each timer object.
    private struct Slot {
        let deadline: MonotonicTime
        let entry: TimerEntry
    }

    private var heap: [Slot] = []
    private var cancelledInHeap = 0

    mutating func nextDeadline() -> MonotonicTime? {
        while let top = heap.first, top.entry.work == nil {
            popTop()
            cancelledInHeap -= 1
        }
        return heap.first?.deadline
    }

    mutating func add(deadline: MonotonicTime, work item: @escaping () -> Void) -> TimerID {
        add(deadline: deadline, work: .closure(item))
    }

    mutating func add(deadline: MonotonicTime, work item: TimerWork) -> TimerID {
        let entry = TimerEntry(work: item)
        heap.append(Slot(deadline: deadline, entry: entry))
        siftUp(heap.count - 1)
        return TimerID(entry: entry)
    }

    mutating func cancel(_ id: TimerID) {
        // A timer that already ran (or was cancelled) has no work left: nothing to count.
        guard id.entry.work != nil else { return }
        id.entry.work = nil
        cancelledInHeap += 1
        if cancelledInHeap > 64 && cancelledInHeap * 2 > heap.count { dropCancelled() }
    }

    /// Removes and returns the work of the earliest timer due at `now`, if any. The caller
    /// runs it outside the queue's mutation, since timer work often schedules or cancels timers.
    mutating func popDue(now: MonotonicTime) -> TimerWork? {
        while let top = heap.first, top.deadline <= now {
            popTop()
            guard let item = top.entry.work else {
                cancelledInHeap -= 1
                continue
            }
            top.entry.work = nil
            return item
        }
        return nil
    }

    /// Timers still to run (for tests).
    var liveCount: Int { heap.count - cancelledInHeap }
    /// Entries in the heap, cancelled ones included (for tests).
    var storedCount: Int { heap.count }

    private mutating func dropCancelled() {
        heap.removeAll { $0.entry.work == nil }
        cancelledInHeap = 0
        // Floyd's heap construction: O(n).
        var index = heap.count / 2
        while index > 0 {
            index -= 1
            siftDown(index)
        }
    }

    private mutating func popTop() {
        let last = heap.removeLast()
        if !heap.isEmpty {
            heap[0] = last
            siftDown(0)
        }
    }

    private mutating func siftUp(_ start: Int) {
        var child = start
        while child > 0 {
            let parent = (child - 1) / 2
            if heap[parent].deadline <= heap[child].deadline { break }
            heap.swapAt(parent, child)
            child = parent
        }
    }

    private mutating func siftDown(_ start: Int) {
        var parent = start
        while true {
            let left = 2 * parent + 1
            if left >= heap.count { return }
            var smallest = left
            let right = left + 1
            if right < heap.count && heap[right].deadline < heap[left].deadline { smallest = right }
            if heap[parent].deadline <= heap[smallest].deadline { return }
            heap.swapAt(parent, smallest)
            parent = smallest
        }
    }
}
