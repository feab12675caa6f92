import _CryptoExtras
import Crypto
import Foundation

/// Memory-hard password hashing with scrypt (swift-crypto's `_CryptoExtras`, BoringSSL
/// underneath). Stored as `scrypt$<log2 N>$<r>$<p>$<salt b64>$<hash b64>`, so the cost can be
/// raised later and old hashes still verify with the parameters they were made with.
public struct PasswordHasher: Sendable {
    public struct Cost: Sendable, Equatable {
        public var log2N: Int
        public var blockSize: Int
        public var parallelism: Int

        /// N = 2^15, r = 8: 32 MiB and roughly 50-100 ms per hash on one core.
        public static let standard = Cost(log2N: 15, blockSize: 8, parallelism: 1)
        /// For unit tests only: still scrypt, but cheap.
        public static let testing = Cost(log2N: 10, blockSize: 8, parallelism: 1)

        public init(log2N: Int, blockSize: Int, parallelism: Int) {
            self.log2N = log2N
            self.blockSize = blockSize
            self.parallelism = parallelism
        }

        var memoryBytes: Int { 128 * blockSize * (1 << log2N) * parallelism + 1 << 20 }
    }

    static let saltLength = 16
    static let hashLength = 32
    public let cost: Cost

    public init(cost: Cost = .standard) {
        self.cost = cost
    }

    public func hash(_ password: String) throws -> String {
        var generator = SystemRandomNumberGenerator()
        let salt = (0..<Self.saltLength).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
        let derived = try Self.derive(password, salt: salt, cost: cost)
        return ["scrypt", String(cost.log2N), String(cost.blockSize), String(cost.parallelism),
                Data(salt).base64EncodedString(), Data(derived).base64EncodedString()].joined(separator: "$")
    }

    /// False for a wrong password and for a stored value this hasher cannot read.
    public func verify(_ password: String, against stored: String) -> Bool {
        let parts = stored.split(separator: "$", omittingEmptySubsequences: false)
        guard parts.count == 6, parts[0] == "scrypt",
              let log2N = Int(parts[1]), (1...22).contains(log2N),
              let blockSize = Int(parts[2]), (1...32).contains(blockSize),
              let parallelism = Int(parts[3]), (1...16).contains(parallelism),
              let salt = Data(base64Encoded: String(parts[4])),
              let expected = Data(base64Encoded: String(parts[5])), expected.count == Self.hashLength else {
            return false
        }
        let cost = Cost(log2N: log2N, blockSize: blockSize, parallelism: parallelism)
        guard let derived = try? Self.derive(password, salt: Array(salt), cost: cost) else { return false }
        return Self.constantTimeEqual(derived, Array(expected))
    }

    /// A hash of a random password, verified against when the phone has no account, so a
    /// login for an unknown phone costs the same time as one with a wrong password.
    public func decoyHash() -> String {
        (try? hash(UUID().uuidString)) ?? "scrypt$invalid"
    }

    private static func derive(_ password: String, salt: [UInt8], cost: Cost) throws -> [UInt8] {
        let key = try KDF.Scrypt.deriveKey(from: Array(password.utf8), salt: salt, outputByteCount: hashLength,
                                           rounds: 1 << cost.log2N, blockSize: cost.blockSize,
                                           parallelism: cost.parallelism, maxMemory: cost.memoryBytes)
        return key.withUnsafeBytes { Array($0) }
    }

    static func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        var difference: UInt8 = 0
        for index in a.indices { difference |= a[index] ^ b[index] }
        return difference == 0
    }
}
