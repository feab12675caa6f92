import Crypto

/// Random bearer secrets (session tokens, partner API keys) and the SHA-256 under which they
/// are stored: 32 random bytes leave nothing to brute-force, so a fast hash only has to keep a
/// database reader from using a leaked row.
public enum SecretToken {
    public static let sessionPrefix = "xsc_st_"
    public static let partnerKeyPrefix = "xsc_pk_"

    /// `prefix` + 64 lower-case hex digits (256 random bits).
    public static func generate(prefix: String) -> String {
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<32).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
        return prefix + hex(bytes)
    }

    public static func sha256(_ token: String) -> [UInt8] {
        Array(SHA256.hash(data: Array(token.utf8)))
    }

    /// What a key list shows to tell keys apart: the prefix and the first 6 random digits.
    public static func displayPrefix(of token: String, prefix: String) -> String {
        String(token.prefix(prefix.count + 6))
    }

    static func hex(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out = [UInt8]()
        out.reserveCapacity(bytes.count * 2)
        for byte in bytes {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0f)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}
