import NetIO

/// The base64 texts of binary metadata a connection received and found valid: a caller that
/// reuses its signed actor (the gateway per connection, relays, tools) sends the same ~450 bytes
/// call after call, and comparing them with the last few valid ones is a memcmp where checking
/// every symbol again cost ~2.5k instructions per call (callgrind, issue 15 session 10).
struct ValidBase64Texts {
    private var texts: [[UInt8]] = []
    private var next = 0
    static let capacity = 4
    /// Longer values are checked every time rather than kept (bounds a connection's memory).
    static let maxRemembered = 2048

    func contains(_ text: ArraySlice<UInt8>) -> Bool {
        for known in texts where ByteStrings.equal(text, known) { return true }
        return false
    }

    mutating func remember(_ text: ArraySlice<UInt8>) {
        guard text.count <= Self.maxRemembered else { return }
        if texts.count < Self.capacity {
            texts.append(Array(text))
        } else {
            texts[next] = Array(text)
            next = (next + 1) % Self.capacity
        }
    }
}

/// The base64 texts of binary values a client connection sent lately, with their bytes: a relay
/// sends one signed actor for many calls, encoded once instead of per call (~1.8k instructions
/// per delivery).
struct Base64Encodings {
    private var entries: [(bytes: [UInt8], text: [UInt8])] = []
    private var next = 0
    static let capacity = 4
    static let maxRemembered = 2048

    /// Appends the (unpadded) base64 text of `bytes` to `out`.
    mutating func append(_ bytes: [UInt8], to out: inout [UInt8]) {
        for entry in entries where ByteStrings.equal(bytes[...], entry.bytes) {
            out.append(contentsOf: entry.text)
            return
        }
        guard bytes.count <= Self.maxRemembered else {
            Base64.encode(bytes, appendingTo: &out)
            return
        }
        var text: [UInt8] = []
        Base64.encode(bytes, appendingTo: &text)
        out.append(contentsOf: text)
        if entries.count < Self.capacity {
            entries.append((bytes, text))
        } else {
            entries[next] = (bytes, text)
            next = (next + 1) % Self.capacity
        }
    }
}
