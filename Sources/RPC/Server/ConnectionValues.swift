import Synchronization

/// What handlers keep for the life of one client connection, shared by its calls (the
/// gateway's signed actors per caller, say). Found by key type like `ServerContext` values;
/// dropped with the connection, so nothing outlives it or leaks to another connection.
public final class ConnectionValues: Sendable {
    private let values = Mutex<[(key: ObjectIdentifier, value: any Sendable)]>([])

    init() {}

    /// The value stored under `key`, made by `make` and stored first when there is none.
    public func value<Key: ServerContextKey>(_ key: Key.Type, orMake make: () -> Key.Value) -> Key.Value {
        let id = ObjectIdentifier(key)
        return values.withLock { values in
            for entry in values where entry.key == id {
                if let value = entry.value as? Key.Value { return value }
            }
            let made = make()
            values.append((id, made))
            return made
        }
    }
}
