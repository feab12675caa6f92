/// The W3C Trace Context `traceparent` header (https://www.w3.org/TR/trace-context/):
/// `00-<32 hex trace id>-<16 hex parent span id>-<2 hex flags>`. Parsing follows the spec's
/// rules for a receiver: lowercase hex only, all-zero ids and version `ff` refused, and a later
/// version accepted when its first four fields have the version-00 shape (the rest ignored).
/// A refused header is not an error for the caller: the receiver starts a new trace.
public struct TraceParent: Sendable, Equatable {
    public var traceID: String
    public var parentID: String
    public var flags: UInt8

    public init(traceID: String, parentID: String, flags: UInt8) {
        self.traceID = traceID
        self.parentID = parentID
        self.flags = flags
    }

    public var sampled: Bool { flags & 1 == 1 }

    /// Written byte by byte: every outbox row and outgoing call of a traced order writes one,
    /// and string interpolation cost several times this.
    public var headerValue: String {
        var trace = traceID, parent = parentID
        return trace.withUTF8 { trace in
            parent.withUTF8 { parent in
                String(unsafeUninitializedCapacity: trace.count + parent.count + 8) { out in
                    var at = 0
                    func put(_ byte: UInt8) { out[at] = byte; at += 1 }
                    put(UInt8(ascii: "0")); put(UInt8(ascii: "0")); put(UInt8(ascii: "-"))
                    for byte in trace { put(byte) }
                    put(UInt8(ascii: "-"))
                    for byte in parent { put(byte) }
                    put(UInt8(ascii: "-"))
                    put(Hex.digit(flags >> 4)); put(Hex.digit(flags & 0xf))
                    return at
                }
            }
        }
    }

    public static func parse(_ value: String) -> TraceParent? {
        let bytes = Array(value.utf8)
        guard bytes.count >= 55, bytes[2] == UInt8(ascii: "-"), bytes[35] == UInt8(ascii: "-"),
              bytes[52] == UInt8(ascii: "-") else { return nil }
        guard let version = Hex.value(bytes[0..<2]), version != 0xff else { return nil }
        // Version 00 is exactly 55 characters; a later version may append fields after a dash.
        if version == 0 { guard bytes.count == 55 else { return nil } }
        else if bytes.count > 55 { guard bytes[55] == UInt8(ascii: "-") else { return nil } }
        let trace = bytes[3..<35], parent = bytes[36..<52]
        guard Hex.isLowercase(trace), Hex.isLowercase(parent), let flags = Hex.value(bytes[53..<55]),
              trace.contains(where: { $0 != UInt8(ascii: "0") }),
              parent.contains(where: { $0 != UInt8(ascii: "0") }) else { return nil }
        return TraceParent(traceID: String(decoding: trace, as: UTF8.self),
                           parentID: String(decoding: parent, as: UTF8.self), flags: flags)
    }
}

/// Lowercase hexadecimal, as Trace Context writes ids.
enum Hex {
    private static let digits = Array("0123456789abcdef".utf8)

    static func digit(_ nibble: UInt8) -> UInt8 {
        nibble < 10 ? UInt8(ascii: "0") + nibble : UInt8(ascii: "a") + nibble - 10
    }

    static func byte(_ value: UInt8) -> String {
        String(decoding: [digits[Int(value >> 4)], digits[Int(value & 0xf)]], as: UTF8.self)
    }

    static func word(_ value: UInt64) -> String {
        var out = [UInt8](repeating: 0, count: 16)
        for index in 0..<16 { out[index] = digits[Int((value >> UInt64(60 - 4 * index)) & 0xf)] }
        return String(decoding: out, as: UTF8.self)
    }

    static func isLowercase(_ bytes: ArraySlice<UInt8>) -> Bool {
        bytes.allSatisfy { ($0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9")) || ($0 >= UInt8(ascii: "a") && $0 <= UInt8(ascii: "f")) }
    }

    /// Two lowercase hex digits as a byte.
    static func value(_ bytes: ArraySlice<UInt8>) -> UInt8? {
        guard bytes.count == 2, isLowercase(bytes) else { return nil }
        func nibble(_ c: UInt8) -> UInt8 { c <= UInt8(ascii: "9") ? c - UInt8(ascii: "0") : c - UInt8(ascii: "a") + 10 }
        return nibble(bytes[bytes.startIndex]) << 4 | nibble(bytes[bytes.startIndex + 1])
    }
}
