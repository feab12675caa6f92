/// The `grpc-timeout` header: at most 8 ASCII digits and a unit (H M S m u n).
enum GRPCTimeout {
    /// Nanoseconds, or nil when the value is malformed (the caller answers INTERNAL, as grpc-go does).
    static func parse(_ bytes: ArraySlice<UInt8>) -> UInt64? {
        guard bytes.count >= 2, bytes.count <= 9, let unit = bytes.last else { return nil }
        var value: UInt64 = 0
        for digit in bytes.dropLast() {
            guard digit >= UInt8(ascii: "0"), digit <= UInt8(ascii: "9") else { return nil }
            value = value * 10 + UInt64(digit - UInt8(ascii: "0"))
        }
        let nanosPerUnit: UInt64
        switch unit {
        case UInt8(ascii: "H"): nanosPerUnit = 3_600_000_000_000
        case UInt8(ascii: "M"): nanosPerUnit = 60_000_000_000
        case UInt8(ascii: "S"): nanosPerUnit = 1_000_000_000
        case UInt8(ascii: "m"): nanosPerUnit = 1_000_000
        case UInt8(ascii: "u"): nanosPerUnit = 1_000
        case UInt8(ascii: "n"): nanosPerUnit = 1
        default: return nil
        }
        let (product, overflow) = value.multipliedReportingOverflow(by: nanosPerUnit)
        return overflow ? UInt64.max : product
    }

    /// Formats a timeout with the finest unit that keeps it within 8 digits.
    static func format(nanoseconds: UInt64) -> String {
        let units: [(UInt64, Character)] = [(1, "n"), (1_000, "u"), (1_000_000, "m"), (1_000_000_000, "S"),
                                            (60_000_000_000, "M"), (3_600_000_000_000, "H")]
        for (size, unit) in units {
            let value = (nanoseconds + size - 1) / size
            if value < 100_000_000 { return "\(value)\(unit)" }
        }
        return "99999999H"
    }
}
