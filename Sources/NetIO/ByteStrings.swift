import Glibc

/// Byte strings compared with their lengths first and `memcmp` after, for the checks every call
/// makes on header names, paths and signed actors. The generic `elementsEqual`/`==` walk a
/// String's UTF-8 view or a slice element by element (tens of instructions per byte on the
/// hot path: callgrind, issue 15 session 10); the unsafe reads stay in this wrapper module.
public enum ByteStrings {
    public static func equal(_ bytes: ArraySlice<UInt8>, _ other: ArraySlice<UInt8>) -> Bool {
        guard bytes.count == other.count else { return false }
        return bytes.withUnsafeBufferPointer { left in
            other.withUnsafeBufferPointer { right in
                guard let leftBase = left.baseAddress, let rightBase = right.baseAddress else { return true }
                return memcmp(leftBase, rightBase, left.count) == 0
            }
        }
    }

    public static func equal(_ bytes: ArraySlice<UInt8>, _ other: [UInt8]) -> Bool {
        equal(bytes, other[...])
    }

    public static func equal(_ bytes: ArraySlice<UInt8>, _ text: StaticString) -> Bool {
        guard bytes.count == text.utf8CodeUnitCount else { return false }
        return bytes.withUnsafeBufferPointer { left in
            guard let base = left.baseAddress else { return true }
            return memcmp(base, text.utf8Start, left.count) == 0
        }
    }

    /// Compared with the text's UTF-8 bytes.
    public static func equal(_ bytes: ArraySlice<UInt8>, _ text: String) -> Bool {
        let utf8 = text.utf8
        guard bytes.count == utf8.count else { return false }
        let compared = utf8.withContiguousStorageIfAvailable { right in
            bytes.withUnsafeBufferPointer { left in
                guard let leftBase = left.baseAddress, let rightBase = right.baseAddress else { return true }
                return memcmp(leftBase, rightBase, left.count) == 0
            }
        }
        return compared ?? bytes.elementsEqual(utf8)
    }

    /// Whether `bytes` holds `byte` (memchr: a signed actor's ~400 bytes of base64 are scanned
    /// for a comma on every call).
    public static func contains(_ bytes: ArraySlice<UInt8>, _ byte: UInt8) -> Bool {
        bytes.withUnsafeBufferPointer { buffer in
            guard let base = buffer.baseAddress else { return false }
            return memchr(base, Int32(byte), buffer.count) != nil
        }
    }

    /// Whether `text`'s UTF-8 bytes start with `prefix`'s.
    public static func hasPrefix(_ text: String, _ prefix: String) -> Bool {
        let checked = text.utf8.withContiguousStorageIfAvailable { bytes in
            prefix.utf8.withContiguousStorageIfAvailable { wanted in
                guard bytes.count >= wanted.count else { return false }
                guard let base = bytes.baseAddress, let wantedBase = wanted.baseAddress else { return true }
                return memcmp(base, wantedBase, wanted.count) == 0
            }
        }
        if let checked, let answer = checked { return answer }
        return text.utf8.starts(with: prefix.utf8)
    }

    /// True when `text` is ASCII without upper-case letters (a header name as HTTP/2 sends it).
    public static func isLowercaseASCII(_ text: String) -> Bool {
        let checked = text.utf8.withContiguousStorageIfAvailable { bytes in
            for byte in bytes where byte >= 0x80 || (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z")) { return false }
            return true
        }
        return checked ?? text.utf8.allSatisfy { $0 < 0x80 && !(UInt8(ascii: "A")...UInt8(ascii: "Z")).contains($0) }
    }

    /// True when `text`'s UTF-8 bytes end in `suffix` and are longer than it.
    public static func hasLongerSuffix(_ text: String, _ suffix: StaticString) -> Bool {
        let count = suffix.utf8CodeUnitCount
        let checked = text.utf8.withContiguousStorageIfAvailable { bytes in
            guard bytes.count > count, let base = bytes.baseAddress else { return false }
            return memcmp(base + bytes.count - count, suffix.utf8Start, count) == 0
        }
        if let checked { return checked }
        let utf8 = text.utf8
        return utf8.count > count && utf8.suffix(count).elementsEqual(UnsafeBufferPointer(start: suffix.utf8Start, count: count))
    }
}
