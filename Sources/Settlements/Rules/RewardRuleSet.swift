import DomainKit

/// One version of a region's reward rules as the calculation needs them (no I/O).
struct RewardRuleSet: Sendable, Equatable {
    var regionID: String
    var version: Int64
    var effectiveFromMillis: Int64
    /// Of a line's actual sales, for every SKU without a per-unit rate.
    var percentBasisPoints: Int64
    /// SKU -> fen per actually sold unit.
    var perUnitFen: [String: Int64]
    /// Of the level-1 reward, paid to the beneficiary's recruiter.
    var level2BasisPoints: Int64
}

/// An order line as the reward needs it: what the return visit confirmed.
struct SoldLine: Sendable, Equatable {
    var skuID: String
    var actualQuantity: Int64
    var actualFen: Int64
}

/// The two rewards of one visited order.
struct OrderReward: Sendable, Equatable {
    /// The actual sales the rewards are computed on.
    var salesFen: Int64
    var level1Fen: Int64
    var level2Fen: Int64
}

/// The reward arithmetic, stated once (DOMAIN.md "Settlements"):
/// - a SKU with a per-unit rate earns rate x actual quantity (exact, no rounding);
/// - every other SKU earns the percentage of its actual sales, taken ONCE over the order's
///   percent-rated sales and rounded half away from zero (DomainKit `Fen.share`), so splitting
///   an order into lines never changes the reward;
/// - level 2 is `level2BasisPoints` of the level-1 reward, rounded the same way.
/// Everything is integer fen; nothing is ever a float.
enum RewardCalculation {
    static func reward(for lines: [SoldLine], rule: RewardRuleSet) -> OrderReward {
        var sales: Int64 = 0
        var percentRated: Int64 = 0
        var perUnit: Int64 = 0
        for line in lines {
            sales += line.actualFen
            if let rate = rule.perUnitFen[line.skuID] {
                perUnit += rate * line.actualQuantity
            } else {
                percentRated += line.actualFen
            }
        }
        let level1 = perUnit + Fen.share(of: percentRated, basisPoints: rule.percentBasisPoints)
        let level2 = Fen.share(of: level1, basisPoints: rule.level2BasisPoints)
        return OrderReward(salesFen: sales, level1Fen: level1, level2Fen: level2)
    }
}
