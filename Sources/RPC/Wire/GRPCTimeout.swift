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
        var bytes: [UInt8] = []
        write(nanoseconds: nanoseconds, to: &bytes)
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Appends `format`'s text to `out` (a request's header list: no array of units, String
    /// interpolation or String per call).
    static func write(nanoseconds: UInt64, to out: inout [UInt8]) {
        var size: UInt64 = 1
        for unit in "numSMH".utf8 {
            // Rounded up, so a deadline is never sent shorter than it is.
            let value = nanoseconds / size + (nanoseconds % size == 0 ? 0 : 1)
            if value < 100_000_000 {
                var divisor: UInt64 = 1
                while divisor <= value / 10 { divisor *= 10 }
                while divisor > 0 {
                    out.append(UInt8(ascii: "0") + UInt8(value / divisor % 10))
                    divisor /= 10
                }
                out.append(unit)
                return
            }
            switch unit {
            case UInt8(ascii: "n"), UInt8(ascii: "u"), UInt8(ascii: "m"): size *= 1_000
            case UInt8(ascii: "S"), UInt8(ascii: "M"): size *= 60
            default: break
            }
        }
        out.append(contentsOf: "99999999H".utf8)
    }
}
