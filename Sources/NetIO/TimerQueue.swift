/// Identifies a scheduled timer so it can be cancelled.
public struct TimerID: Hashable, Sendable {
    let value: UInt64
}

/// A binary min-heap of deadlines owned by one loop. Cancelled timers are dropped lazily when
/// they reach the top, which keeps cancel O(1) — deadlines are mostly cancelled, since most
/// calls finish long before their timeout.
struct TimerQueue {
    private struct Entry {
        let deadline: MonotonicTime
        let id: UInt64
    }

    private var heap: [Entry] = []
    private var work: [UInt64: () -> Void] = [:]
    private var nextID: UInt64 = 1

    mutating func nextDeadline() -> MonotonicTime? {
        while let top = heap.first, work[top.id] == nil { popTop() }
        return heap.first?.deadline
    }

    mutating func add(deadline: MonotonicTime, work item: @escaping () -> Void) -> TimerID {
        let id = nextID
        nextID += 1
        work[id] = item
        heap.append(Entry(deadline: deadline, id: id))
        siftUp(heap.count - 1)
        return TimerID(value: id)
    }

    mutating func cancel(_ id: TimerID) {
        work[id.value] = nil
    }

    /// Removes and returns the work of the earliest timer due at `now`, if any. The caller
    /// runs it outside the queue's mutation, since timer work often schedules or cancels timers.
    mutating func popDue(now: MonotonicTime) -> (() -> Void)? {
        while let top = heap.first, top.deadline <= now {
            popTop()
            if let item = work.removeValue(forKey: top.id) { return item }
        }
        return nil
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
