import Synchronization

/// Random trace and span ids without a system call per id: a xoshiro256** generator seeded
/// once from the operating system. The ids only have to be unique and unpredictable enough not
/// to collide across replicas (Trace Context asks for random ids); they guard nothing, so a
/// cryptographic generator per id would be cost without benefit.
public final class TraceIDSource: Sendable {
    private let state: Mutex<(UInt64, UInt64, UInt64, UInt64)>

    public init() {
        var system = SystemRandomNumberGenerator()
        var seed = (system.next() as UInt64, system.next() as UInt64, system.next() as UInt64, system.next() as UInt64)
        if seed == (0, 0, 0, 0) { seed.0 = 1 }  // the one state xoshiro cannot leave
        state = Mutex(seed)
    }

    /// A non-zero 64-bit value (a zero id means "absent" in Trace Context).
    public func next() -> UInt64 {
        while true {
            let value = state.withLock { s -> UInt64 in
                let result = rotate(s.1 &* 5, 7) &* 9
                let t = s.1 << 17
                s.2 ^= s.0; s.3 ^= s.1; s.1 ^= s.2; s.0 ^= s.3
                s.2 ^= t
                s.3 = rotate(s.3, 45)
                return result
            }
            if value != 0 { return value }
        }
    }

    public func spanID() -> String { Hex.word(next()) }
    public func traceID() -> String { Hex.words(next(), next()) }

    private func rotate(_ x: UInt64, _ k: UInt64) -> UInt64 { (x << k) | (x >> (64 - k)) }
}
