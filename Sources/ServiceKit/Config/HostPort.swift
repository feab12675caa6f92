/// A `host:port` pair as the XSC_*_ADDR and *_LISTEN variables spell it: `127.0.0.1:7101`,
/// `orders:7101`, `[::1]:7101`, or `:7101` (all interfaces).
public struct HostPort: Sendable, Hashable, CustomStringConvertible {
    public var host: String
    public var port: Int

    public init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    /// nil when `text` is not a host and a port in 0...65535 (0 asks the kernel for a free one).
    public init?(parsing text: String) {
        guard let colon = text.lastIndex(of: ":") else { return nil }
        var host = String(text[..<colon])
        let portText = text[text.index(after: colon)...]
        guard !portText.isEmpty, portText.allSatisfy(\.isASCIIDigit), portText.count <= 5,
              let port = Int(portText), port <= 65535 else { return nil }
        if host.hasPrefix("[") {
            guard host.hasSuffix("]"), host.count > 2 else { return nil }
            host = String(host.dropFirst().dropLast())
        } else if host.contains(":") {
            // A bare IPv6 address is ambiguous with its port: it must be bracketed.
            return nil
        }
        if host.isEmpty { host = "0.0.0.0" }
        guard host.allSatisfy(HostPort.isHostCharacter) else { return nil }
        self.host = host
        self.port = port
    }

    public var description: String {
        host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
    }

    private static func isHostCharacter(_ character: Character) -> Bool {
        character.isASCII && (character.isLetter || character.isNumber || character == "." || character == "-"
            || character == "_" || character == ":")
    }
}

extension Character {
    var isASCIIDigit: Bool { isASCII && isNumber }
}
