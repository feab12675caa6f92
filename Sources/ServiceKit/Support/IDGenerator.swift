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
        let bytes = randomBytes.take16()
        let digits: [UInt8] = Array("0123456789abcdef".utf8)
        return String(unsafeUninitializedCapacity: 32) { out in
            for (index, byte) in bytes.enumerated() {
                out[2 * index] = digits[Int(byte >> 4)]
                out[2 * index + 1] = digits[Int(byte & 0x0F)]
            }
            return 32
        }
    }

    private static let randomBytes = RandomBytes()
}

/// UUIDv7 layout and text form.
public enum UUIDv7 {
    /// The id for `millis` with random bits from `random`.
    public static func make(millis: Int64, random: RandomBytes) -> String {
        var bytes = random.take16()
        let time = UInt64(truncatingIfNeeded: millis)
        for index in 0..<6 { bytes[index] = UInt8(truncatingIfNeeded: time >> (40 - 8 * UInt64(index))) }
        bytes[6] = 0x70 | (bytes[6] & 0x0F)  // version 7
        bytes[8] = 0x80 | (bytes[8] & 0x3F)  // variant 10
        return text(bytes)
    }

    /// 8-4-4-4-12 lower-case hex of 16 bytes.
    static func text(_ bytes: [UInt8]) -> String {
        precondition(bytes.count == 16)
        let digits: [UInt8] = Array("0123456789abcdef".utf8)
        return String(unsafeUninitializedCapacity: 36) { out in
            var position = 0
            for (index, byte) in bytes.enumerated() {
                if index == 4 || index == 6 || index == 8 || index == 10 {
                    out[position] = UInt8(ascii: "-")
                    position += 1
                }
                out[position] = digits[Int(byte >> 4)]
                out[position + 1] = digits[Int(byte & 0x0F)]
                position += 2
            }
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

    /// 16 bytes never handed out before.
    func take16() -> [UInt8] {
        state.withLock { state in
            if state.offset + 16 > state.buffer.count {
                state.buffer.withUnsafeMutableBytes { arc4random_buf($0.baseAddress!, $0.count) }
                state.offset = 0
            }
            defer { state.offset += 16 }
            return Array(state.buffer[state.offset..<state.offset + 16])
        }
    }
}
