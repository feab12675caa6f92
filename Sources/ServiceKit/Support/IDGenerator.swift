import Glibc
import Synchronization

/// Makes a new identifier (an order id, an outbox event id). Passed in like `WallClock`, so a
/// test can pin ids; `SystemIDs.uuidV7` is the production one.
public typealias IDGenerator = @Sendable () -> String

public enum SystemIDs {
    /// A UUIDv7 (RFC 9562) as lower-case text: 48 bits of Unix milliseconds, then 74 random
    /// bits from the kernel's CSPRNG. Ids sort roughly by creation (B-tree inserts land at the
    /// right edge of an index instead of at random pages) and stay unguessable: the time part
    /// is public, the 74 random bits are not. The randomness is read 4 KiB at a time
    /// (`RandomBytes`), so an id costs no system call, where Foundation's `UUID()` opened and
    /// read `/dev/urandom` for every id.
    ///
    /// Ids are only names: knowing one grants nothing (every read and write checks the
    /// caller's access separately, and a "not yours" answers NOT_FOUND like a missing id).
    public static let uuidV7: IDGenerator = { UUIDv7.make(millis: SystemWallClock.now(), random: randomBytes) }

    /// 128 random bits as 32 lower-case hex digits (request ids), from the same buffered
    /// kernel randomness: no system call per id.
    public static func random128Hex() -> String {
        let (high, low) = randomBytes.take128()
        return Hex.words(high, low)
    }

    private static let randomBytes = RandomBytes()
}

/// UUIDv7 layout and text form.
public enum UUIDv7 {
    /// The id for `millis` with random bits from `random`.
    public static func make(millis: Int64, random: RandomBytes) -> String {
        let (high, low) = random.take128()
        let time = UInt64(truncatingIfNeeded: millis) & 0xFFFF_FFFF_FFFF
        // 48 bits of time, version 7, 12 random bits | variant 10, 62 random bits.
        let first = time << 16 | 0x7000 | (high & 0x0FFF)
        let second = 0x8000_0000_0000_0000 | (low & 0x3FFF_FFFF_FFFF_FFFF)
        return text(first, second)
    }

    /// 8-4-4-4-12 lower-case hex of 16 bytes (`first` the high 8, big-endian).
    static func text(_ first: UInt64, _ second: UInt64) -> String {
        String(unsafeUninitializedCapacity: 36) { out in
            // Digit by digit from the right, dashes at 8, 13, 18 and 23.
            var position = 35
            func write(_ word: UInt64) {
                var rest = word
                for _ in 0..<16 {
                    if position == 23 || position == 18 || position == 13 || position == 8 {
                        out[position] = UInt8(ascii: "-")
                        position -= 1
                    }
                    let nibble = UInt8(truncatingIfNeeded: rest) & 0x0F
                    out[position] = nibble < 10 ? UInt8(ascii: "0") &+ nibble : UInt8(ascii: "a") &+ (nibble &- 10)
                    position -= 1
                    rest >>= 4
                }
            }
            write(second)
            write(first)
            return 36
        }
    }
}

/// Kernel randomness (`arc4random_buf`, which is getrandom(2) in glibc 2.36) fetched 4 KiB at
/// a time and handed out 16 bytes per id: one system call per 256 ids. Bytes are never handed
/// out twice; a refill happens under the lock, so concurrent callers each get fresh bytes.
public final class RandomBytes: Sendable {
    private static let chunk = 4096
    private struct State {
        var buffer = [UInt8](repeating: 0, count: RandomBytes.chunk)
        var offset = RandomBytes.chunk
    }
    private let state = Mutex(State())

    public init() {}

    /// 16 bytes never handed out before, as two words (no array per id).
    func take128() -> (UInt64, UInt64) {
        state.withLock { state in
            if state.offset + 16 > state.buffer.count {
                state.buffer.withUnsafeMutableBytes { arc4random_buf($0.baseAddress!, $0.count) }
                state.offset = 0
            }
            defer { state.offset += 16 }
            return state.buffer.withUnsafeBytes { raw in
                (raw.loadUnaligned(fromByteOffset: state.offset, as: UInt64.self),
                 raw.loadUnaligned(fromByteOffset: state.offset + 8, as: UInt64.self))
            }
        }
    }
}
