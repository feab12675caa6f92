/// The shared HMAC key of the signed actor context (XSC_ACTOR_SECRET). Its description never
/// shows the key, so printing a config or an error cannot leak it.
public struct ActorSecret: Sendable, Equatable, CustomStringConvertible, CustomDebugStringConvertible {
    /// HMAC-SHA256 keys shorter than the hash output weaken it; the gateway and every service
    /// must share a key of at least this many bytes.
    public static let minimumLength = 32

    public let bytes: [UInt8]

    /// nil when shorter than `minimumLength` bytes.
    public init?(bytes: [UInt8]) {
        guard bytes.count >= ActorSecret.minimumLength else { return nil }
        self.bytes = bytes
    }

    /// The UTF-8 bytes of the variable's value are the key.
    public init?(_ text: String) {
        self.init(bytes: Array(text.utf8))
    }

    /// Secrets that were published (docker-compose.yml's old fallback, the example.env files,
    /// documentation): anyone who read them could mint an admin actor, so a service refuses to
    /// start with one. Any secret that still says "change-me" or "dev-only" counts too.
    public static let publishedPlaceholders: Set<String> = [
        "dev-only-actor-secret-change-me-0123456789",
        "change-me-to-32-or-more-random-bytes-0000",
    ]

    /// True for a known placeholder rather than a secret someone generated.
    public static func isPlaceholder(_ text: String) -> Bool {
        let lowered = text.lowercased()
        return publishedPlaceholders.contains(text) || lowered.contains("change-me") || lowered.contains("changeme")
            || lowered.contains("dev-only")
    }

    public var description: String { "<hidden, \(bytes.count) bytes>" }
    public var debugDescription: String { description }
}
