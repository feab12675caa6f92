/// Received messages not yet read, in order. Holds one message without allocating (a unary
/// request, or a stream read as fast as it arrives); only a backlog needs the array.
struct MessageQueue {
    private var head: ArraySlice<UInt8>?
    private var backlog: [ArraySlice<UInt8>] = []
    private var backlogStart = 0

    var isEmpty: Bool { head == nil }
    var count: Int { head == nil ? 0 : 1 + backlog.count - backlogStart }

    mutating func append(_ message: ArraySlice<UInt8>) {
        if head == nil { head = message } else { backlog.append(message) }
    }

    mutating func popFirst() -> ArraySlice<UInt8>? {
        guard let first = head else { return nil }
        if backlogStart < backlog.count {
            head = backlog[backlogStart]
            backlogStart += 1
            if backlogStart == backlog.count {
                backlog.removeAll(keepingCapacity: true)
                backlogStart = 0
            }
        } else {
            head = nil
        }
        return first
    }
}
