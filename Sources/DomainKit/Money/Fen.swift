/// Money is integer fen (1/100 yuan) everywhere: in protos, rows and arithmetic (ARCHITECTURE.md).
/// The operations here never lose a fen silently: they round by one stated rule and report
/// overflow instead of wrapping.
public enum Fen {
    /// The largest amount the system takes in one field: 100 million yuan. Far above any order
    /// or statement, and far below Int64's limit, so sums of many amounts cannot overflow.
    public static let maxAmount: Int64 = 10_000_000_000

    /// `amount` × `basisPoints` / 10,000 (1 bp = 0.01%), rounded half away from zero
    /// (四舍五入, how a Chinese statement rounds): 0.5 fen becomes 1 fen, -0.5 becomes -1. The one
    /// rounding rule of percentages: a reward of 3.5% of 1,001 fen is 35 fen (35.035).
    public static func share(of amount: Int64, basisPoints: Int64) -> Int64 {
        let (product, overflow) = amount.multipliedReportingOverflow(by: basisPoints)
        precondition(!overflow, "share of \(amount) fen at \(basisPoints) bp overflows")
        let quotient = product / 10_000
        let remainder = product % 10_000
        if remainder * 2 >= 10_000 { return quotient + 1 }
        if remainder * 2 <= -10_000 { return quotient - 1 }
        return quotient
    }

    /// The sum, or nil when it leaves Int64.
    public static func sum<S: Sequence>(_ amounts: S) -> Int64? where S.Element == Int64 {
        var total: Int64 = 0
        for amount in amounts {
            let (next, overflow) = total.addingReportingOverflow(amount)
            if overflow { return nil }
            total = next
        }
        return total
    }

    /// "¥1,234.50" (negative: "-¥12.00"): how amounts are shown to people.
    public static func yuanText(_ fen: Int64) -> String {
        var bytes: [UInt8] = []
        appendYuanText(fen, to: &bytes)
        return String(decoding: bytes, as: UTF8.self)
    }

    /// `yuanText` appended to UTF-8 bytes (text built byte by byte: an SMS summary per order).
    public static func appendYuanText(_ fen: Int64, to bytes: inout [UInt8]) {
        if fen < 0 { bytes.append(UInt8(ascii: "-")) }
        bytes.append(contentsOf: [0xC2, 0xA5])  // ¥
        let magnitude = fen.magnitude
        var yuan = magnitude / 100
        var digitCount = 1
        var rest = yuan
        while rest >= 10 {
            rest /= 10
            digitCount += 1
        }
        // Room for the digits and their thousands commas, filled from the right.
        let width = digitCount + (digitCount - 1) / 3
        let start = bytes.count
        bytes.append(contentsOf: repeatElement(UInt8(ascii: ","), count: width))
        bytes.withUnsafeMutableBufferPointer { out in
            var at = start + width
            var written = 0
            repeat {
                if written > 0 && written % 3 == 0 { at -= 1 }  // keeps a comma
                at -= 1
                out[at] = UInt8(ascii: "0") + UInt8(yuan % 10)
                yuan /= 10
                written += 1
            } while yuan > 0
        }
        let cents = magnitude % 100
        bytes.append(contentsOf: [UInt8(ascii: "."), UInt8(ascii: "0") + UInt8(cents / 10), UInt8(ascii: "0") + UInt8(cents % 10)])
    }

    /// What is wrong with `fen` as an amount a person entered (nil when fine).
    public static func problem(with fen: Int64, allowZero: Bool = false) -> String? {
        if fen < 0 { return "must not be negative (amounts are fen, 1/100 yuan)" }
        if fen == 0 && !allowZero { return "must be more than 0 fen" }
        if fen > maxAmount { return "too large: at most \(yuanText(maxAmount))" }
        return nil
    }
}
