import Synchronization

/// Resolved credentials for a short time, so a forwarded call does not cost a database round
/// trip. Logout, disabling an account and revoking a key drop the entries of this process at
/// once; another gateway replica notices within `lifetimeMs` (documented trade-off; 0 turns the
/// cache off). A staff entry is never used past its session's expiry.
public final class CredentialCache: Sendable {
    private struct Entry {
        var caller: Caller
        var cachedAtMs: Int64
    }

    private let entries = Mutex<[[UInt8]: Entry]>([:])
    let lifetimeMs: Int64
    let maxEntries: Int

    public init(lifetimeMs: Int64, maxEntries: Int = 100_000) {
        self.lifetimeMs = lifetimeMs
        self.maxEntries = maxEntries
    }

    /// `nowMs` is monotonic (for the cache lifetime), `wallNowMs` Unix time (for session expiry).
    func caller(for tokenHash: [UInt8], nowMs: Int64, wallNowMs: Int64) -> Caller? {
        guard lifetimeMs > 0 else { return nil }
        return entries.withLock { entries in
            guard let entry = entries[tokenHash] else { return nil }
            let expired: Bool
            if case .staff(let session) = entry.caller { expired = session.expiresAtMs <= wallNowMs } else { expired = false }
            guard !expired, nowMs - entry.cachedAtMs < lifetimeMs else {
                entries[tokenHash] = nil
                return nil
            }
            return entry.caller
        }
    }

    func store(_ caller: Caller, for tokenHash: [UInt8], nowMs: Int64) {
        guard lifetimeMs > 0 else { return }
        let lifetimeMs = self.lifetimeMs
        entries.withLock { entries in
            if entries.count >= maxEntries {
                entries = entries.filter { nowMs - $0.value.cachedAtMs < lifetimeMs }
                if entries.count >= maxEntries { entries.removeAll() }
            }
            entries[tokenHash] = Entry(caller: caller, cachedAtMs: nowMs)
        }
    }

    func forget(tokenHash: [UInt8]) {
        _ = entries.withLock { $0.removeValue(forKey: tokenHash) }
    }

    func forget(accountID: String) {
        entries.withLock { entries in
            entries = entries.filter { entry in
                if case .staff(let session) = entry.value.caller { return session.accountID != accountID }
                return true
            }
        }
    }

    func forget(keyID: String) {
        entries.withLock { entries in
            entries = entries.filter { entry in
                if case .partner(let key) = entry.value.caller { return key.keyID != keyID }
                return true
            }
        }
    }
}
