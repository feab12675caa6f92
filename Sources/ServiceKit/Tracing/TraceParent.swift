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

    /// Written into one String of the header's length: interpolating the parts cost an
    /// allocation each, and every traced call and outbox row makes one.
    public var headerValue: String {
        // The ids' bytes copied whole (withUTF8): walking a String's UTF-8 view byte by byte
        // cost ~4k instructions per order over its traced calls and outbox rows.
        var trace = traceID, parent = parentID
        return trace.withUTF8 { trace in
            parent.withUTF8 { parent in
                String(unsafeUninitializedCapacity: 3 + trace.count + 1 + parent.count + 3) { out in
                    var at = 0
                    func put(_ bytes: UnsafeBufferPointer<UInt8>) {
                        guard let base = bytes.baseAddress, !bytes.isEmpty else { return }
                        (out.baseAddress! + at).initialize(from: base, count: bytes.count)
                        at += bytes.count
                    }
                    out[0] = UInt8(ascii: "0"); out[1] = UInt8(ascii: "0"); out[2] = UInt8(ascii: "-")
                    at = 3
                    put(trace)
                    out[at] = UInt8(ascii: "-"); at += 1
                    put(parent)
                    out[at] = UInt8(ascii: "-"); at += 1
                    Hex.write(flags, into: out, at: &at)
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
    static func byte(_ value: UInt8) -> String {
        String(unsafeUninitializedCapacity: 2) { out in
            var at = 0
            write(value, into: out, at: &at)
            return at
        }
    }

    /// Sixteen digits, straight into the String's storage (one allocation, not an array and a
    /// String: trace and span ids are made on every call).
    static func word(_ value: UInt64) -> String {
        String(unsafeUninitializedCapacity: 16) { out in
            var at = 0
            write(value, into: out, at: &at)
            return at
        }
    }

    /// Two words as one 32-digit String (a trace id) in one allocation.
    static func words(_ high: UInt64, _ low: UInt64) -> String {
        String(unsafeUninitializedCapacity: 32) { out in
            var at = 0
            write(high, into: out, at: &at)
            write(low, into: out, at: &at)
            return at
        }
    }

    static func write(_ value: UInt64, into out: UnsafeMutableBufferPointer<UInt8>, at: inout Int) {
        for shift in stride(from: 60, through: 0, by: -4) {
            out[at] = digit(UInt8(truncatingIfNeeded: value >> UInt64(shift)) & 0xf)
            at += 1
        }
    }

    static func write(_ value: UInt8, into out: UnsafeMutableBufferPointer<UInt8>, at: inout Int) {
        out[at] = digit(value >> 4)
        out[at + 1] = digit(value & 0xf)
        at += 2
    }

    private static func digit(_ nibble: UInt8) -> UInt8 {
        nibble < 10 ? UInt8(ascii: "0") + nibble : UInt8(ascii: "a") - 10 + nibble
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
