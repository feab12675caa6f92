import Synchronization

/// The intake's routing and prices kept in process, so that a new order needs no read: every
/// entry belongs to ONE catalog version (migration 0014's `orders_catalog_version`, bumped by
/// any change to a table the intake's read touches), and the order's write statement checks
/// that version (`orders_catalog_is`), failing with `CatalogStore.staleVersionState` when the
/// catalog changed since - then the intake forgets everything and reads again. So a stale
/// entry can cost a retry, never an order routed or priced by an old catalog.
///
/// Bounded: past `capacity` districts or priced SKUs everything is forgotten at once (a
/// catalog that large would not fit the assumption that it changes rarely and is small).
final class IntakeCatalogCache: Sendable {
    /// What the intake needs for one order: `prices[i]` is the price of the order's i-th SKU
    /// (nil: unknown), so pricing the lines needs no dictionary built and looked up per order.
    struct Facts: Sendable {
        var version: Int64
        var routing: Routing
        var prices: [(active: Bool, priceFen: Int64?)?]
    }

    private struct PriceKey: Hashable {
        var district: String
        var guided: Bool
        var sku: String
    }

    private struct State {
        var version: Int64 = -1
        var routings: [String: Routing] = [:]
        var prices: [PriceKey: (active: Bool, priceFen: Int64?)] = [:]
    }

    private let state = Mutex(State())
    let capacity: Int

    init(capacity: Int = 4096) {
        self.capacity = capacity
    }

    /// The routing of `district` and the prices of every SKU in `skus`, when all are known
    /// (an unknown SKU is never cached: such an order is refused after a read).
    func facts(district: String, skus: [String], rule: PriceRule) -> Facts? {
        state.withLock { state in
            guard state.version >= 0, let routing = state.routings[district] else { return nil }
            var prices: [(active: Bool, priceFen: Int64?)?] = []
            prices.reserveCapacity(skus.count)
            for sku in skus {
                guard let price = state.prices[PriceKey(district: district, guided: rule == .guidedMaximum, sku: sku)] else {
                    return nil
                }
                prices.append(price)
            }
            return Facts(version: state.version, routing: routing, prices: prices)
        }
    }

    /// What one read found at `version` for `skus` (`facts.prices` in their order); an older
    /// read than the entries held is dropped.
    func remember(_ facts: Facts, skus: [String], district: String, rule: PriceRule) {
        state.withLock { state in
            if facts.version < state.version { return }
            if facts.version > state.version || state.routings.count >= capacity || state.prices.count + facts.prices.count > capacity {
                state = State()
                state.version = facts.version
            }
            state.routings[district] = facts.routing
            for (sku, price) in zip(skus, facts.prices) {
                guard let price else { continue }
                state.prices[PriceKey(district: district, guided: rule == .guidedMaximum, sku: sku)] = price
            }
        }
    }

    /// The catalog changed past what is held: forget it all.
    func forget() {
        state.withLock { $0 = State() }
    }
}

/// Order codes taken from the sequence in blocks (`OrderStore.codeBlockStatement`), so a new
/// order whose catalog is cached needs no read for its code either. Codes are scrambled
/// sequence numbers (migration 0007), so a code handed out later than another being smaller
/// means nothing; codes a process never used (it stopped) are gaps, as a rolled-back order's
/// always were. Bounded by `capacity`.
final class OrderCodeBlocks: Sendable {
    private let codes = Mutex<[String]>([])
    let blockSize: Int
    let capacity: Int

    init(blockSize: Int = 32, capacity: Int = 256) {
        self.blockSize = blockSize
        self.capacity = capacity
    }

    func take() -> String? {
        codes.withLock { $0.popLast() }
    }

    func add(_ fresh: [String]) {
        codes.withLock { codes in
            codes += fresh.prefix(max(0, capacity - codes.count))
        }
    }
}
