import Synchronization

/// One labelled time series of a family; renders its own sample lines.
public protocol MetricSeries: Sendable {
    static var typeName: String { get }
    func render(name: String, labels: String, into text: inout String)
}

/// Only goes up; resets when the process restarts (Prometheus' rate() expects exactly that).
public final class Counter: MetricSeries {
    public static let typeName = "counter"
    private let value = Atomic<UInt64>(0)

    public func increment(by amount: UInt64 = 1) {
        value.wrappingAdd(amount, ordering: .relaxed)
    }

    public var current: UInt64 { value.load(ordering: .relaxed) }

    public func render(name: String, labels: String, into text: inout String) {
        text += "\(name)\(labels) \(current)\n"
    }
}

/// A value that goes up and down (calls in flight, queue length).
public final class Gauge: MetricSeries {
    public static let typeName = "gauge"
    private let value = Mutex<Double>(0)

    public func set(_ newValue: Double) { value.withLock { $0 = newValue } }
    public func increment(by amount: Double = 1) { value.withLock { $0 += amount } }
    public func decrement(by amount: Double = 1) { value.withLock { $0 -= amount } }
    public var current: Double { value.withLock { $0 } }

    public func render(name: String, labels: String, into text: inout String) {
        text += "\(name)\(labels) \(PrometheusText.number(current))\n"
    }
}

/// Observations counted into fixed buckets (upper bounds, inclusive), plus their sum and count.
public final class Histogram: MetricSeries {
    public static let typeName = "histogram"
    public let upperBounds: [Double]
    private struct State {
        var counts: [UInt64]
        var sum: Double = 0
        var count: UInt64 = 0
    }
    private let state: Mutex<State>

    /// `upperBounds` must be finite and strictly increasing; +Inf is implied.
    public init(upperBounds: [Double]) {
        precondition(zip(upperBounds, upperBounds.dropFirst()).allSatisfy { $0 < $1 } && upperBounds.allSatisfy(\.isFinite),
                     "histogram buckets must be finite and strictly increasing")
        self.upperBounds = upperBounds
        state = Mutex(State(counts: Array(repeating: 0, count: upperBounds.count + 1)))
    }

    public func observe(_ value: Double) {
        let bucket = upperBounds.firstIndex { value <= $0 } ?? upperBounds.count
        state.withLock { state in
            state.counts[bucket] += 1
            state.sum += value
            state.count += 1
        }
    }

    public func observe(_ duration: Duration) {
        let (seconds, attoseconds) = duration.components
        observe(Double(seconds) + Double(attoseconds) / 1e18)
    }

    public func render(name: String, labels: String, into text: inout String) {
        let snapshot = state.withLock { $0 }
        var cumulative: UInt64 = 0
        for (index, bound) in (upperBounds + [.infinity]).enumerated() {
            cumulative += snapshot.counts[index]
            let le = "le=\"\(PrometheusText.number(bound))\""
            let bucketLabels = labels.isEmpty ? "{\(le)}" : String(labels.dropLast()) + ",\(le)}"
            text += "\(name)_bucket\(bucketLabels) \(cumulative)\n"
        }
        text += "\(name)_sum\(labels) \(PrometheusText.number(snapshot.sum))\n"
        text += "\(name)_count\(labels) \(snapshot.count)\n"
    }
}
