import Synchronization

/// What the pool tells its commit observer: the `commitNote`s of the statements of one
/// transaction that has just committed, in statement order.
public typealias CommitObserver = @Sendable ([any Sendable]) -> Void

/// The pool's observer, read by every session after each pipeline (any thread).
///
/// The closure sits in a class, never directly in the `Mutex`: a function value passed
/// `inout` through the generic `withLock` is re-abstracted on the way in and out, so each read
/// wrapped the stored closure in two more thunks (the first profile of this showed a chain of
/// hundreds of thunks taking 30% of xsc-orders' CPU).
final class CommitNotices: Sendable {
    private final class Observer: Sendable {
        let call: CommitObserver
        init(_ call: @escaping CommitObserver) { self.call = call }
    }

    private let observer = Mutex<Observer?>(nil)

    func set(_ newObserver: CommitObserver?) {
        let boxed = newObserver.map(Observer.init)
        observer.withLock { $0 = boxed }
    }

    var isObserved: Bool { observer.withLock { $0 != nil } }

    func committed(_ notes: [any Sendable]) {
        guard let current = observer.withLock({ $0 }) else { return }
        current.call(notes)
    }
}

/// The notes of the transaction a session is in, until it ends. Confined to whoever holds
/// the session (the lease's caller, one pipeline at a time).
///
/// Conservative on purpose: notes are passed on only when a pipeline ends with the connection
/// idle (the transaction is over) and nothing in the transaction failed or was rolled back -
/// a ROLLBACK (TO SAVEPOINT) tag or a failed pipeline drops every note of the transaction,
/// even of statements a savepoint kept. A dropped note costs only time: the observer must
/// treat the rows behind notes as durable and find them again by itself (the outbox relay's
/// poll does, once their in-process lease has run out).
struct PendingCommitNotes {
    private var notes: [any Sendable] = []

    /// A pipeline that opens a transaction (or is one): nothing older can still commit.
    mutating func transactionOpens() { notes.removeAll(keepingCapacity: true) }

    mutating func failed() { notes.removeAll(keepingCapacity: true) }

    /// After a pipeline that succeeded; returns the notes to hand over, if the transaction is over.
    mutating func succeeded(adding new: [any Sendable], rolledBack: Bool, idle: Bool) -> [any Sendable] {
        if rolledBack {
            notes.removeAll(keepingCapacity: true)
            return []
        }
        notes += new
        guard idle, !notes.isEmpty else { return [] }
        defer { notes.removeAll(keepingCapacity: true) }
        return notes
    }
}
