/// Base64 for `-bin` metadata: gRPC sends it unpadded and must accept padded input too.
enum Base64 {
    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

    static func encode(_ bytes: [UInt8], padded: Bool = false) -> String {
        var out: [UInt8] = []
        encode(bytes, padded: padded, appendingTo: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// Appends the encoding to `out` (a header list's bytes: no String per value).
    static func encode(_ bytes: [UInt8], padded: Bool = false, appendingTo out: inout [UInt8]) {
        out.reserveCapacity(out.count + (bytes.count + 2) / 3 * 4)
        var index = 0
        while index + 3 <= bytes.count {
            let value = UInt32(bytes[index]) << 16 | UInt32(bytes[index + 1]) << 8 | UInt32(bytes[index + 2])
            out.append(alphabet[Int((value >> 18) & 63)])
            out.append(alphabet[Int((value >> 12) & 63)])
            out.append(alphabet[Int((value >> 6) & 63)])
            out.append(alphabet[Int(value & 63)])
            index += 3
        }
        let rest = bytes.count - index
        if rest > 0 {
            var value = UInt32(bytes[index]) << 16
            if rest == 2 { value |= UInt32(bytes[index + 1]) << 8 }
            out.append(alphabet[Int((value >> 18) & 63)])
            out.append(alphabet[Int((value >> 12) & 63)])
            if rest == 2 { out.append(alphabet[Int((value >> 6) & 63)]) }
            if padded { out.append(contentsOf: repeatElement(UInt8(ascii: "="), count: 3 - rest)) }
        }
    }

    /// Nil when the input is not base64 (the caller refuses the request).
    static func decode<Bytes: Collection>(_ input: Bytes) -> [UInt8]? where Bytes.Element == UInt8 {
        guard let symbols = symbolCount(input) else { return nil }
        var out: [UInt8] = []
        out.reserveCapacity(symbols * 3 / 4)
        var buffer: UInt32 = 0
        var bits = 0
        for symbol in input.prefix(symbols) {
            // Checked by `symbolCount`.
            let value = sextet(symbol) ?? 0
            buffer = buffer << 6 | UInt32(value)
            bits += 6
            if bits >= 8 {
                bits -= 8
                out.append(UInt8((buffer >> UInt32(bits)) & 0xFF))
            }
        }
        return out
    }

    /// Whether `decode` would accept the input, without decoding it (a request's binary
    /// metadata is checked when it arrives and decoded later, only if someone reads it).
    static func isValid<Bytes: Collection>(_ input: Bytes) -> Bool where Bytes.Element == UInt8 {
        symbolCount(input) != nil
    }

    /// The number of symbols before the trailing padding, or nil when the input is not base64:
    /// a byte outside the alphabet, padding followed by more symbols, or a length no encoder
    /// produces (one symbol past a multiple of four).
    private static func symbolCount<Bytes: Collection>(_ input: Bytes) -> Int? where Bytes.Element == UInt8 {
        var symbols = 0
        var padding = 0
        for byte in input {
            if byte == UInt8(ascii: "=") {
                padding += 1
                continue
            }
            guard padding == 0, sextet(byte) != nil else { return nil }
            symbols += 1
        }
        return symbols % 4 == 1 ? nil : symbols
    }

    private static func sextet(_ symbol: UInt8) -> UInt8? {
        switch symbol {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"): symbol - UInt8(ascii: "A")
        case UInt8(ascii: "a")...UInt8(ascii: "z"): symbol - UInt8(ascii: "a") + 26
        case UInt8(ascii: "0")...UInt8(ascii: "9"): symbol - UInt8(ascii: "0") + 52
        case UInt8(ascii: "+"), UInt8(ascii: "-"): 62
        case UInt8(ascii: "/"), UInt8(ascii: "_"): 63
        default: nil
        }
    }
}
