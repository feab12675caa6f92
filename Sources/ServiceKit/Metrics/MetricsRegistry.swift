import Synchronization

/// The metrics of one process, written out for Prometheus by `exposition()`. One registry is
/// made at start and passed to what records metrics (no global registry). Registering a name
/// twice with the same kind and labels returns the first family, so independent components
/// can ask for a shared metric; a clash of kind or labels is a programming error and traps.
public final class MetricsRegistry: Sendable {
    private let families = Mutex<[any ExposedFamily]>([])

    public init() {}

    public func counter(_ name: String, help: String, labels: [String] = []) -> MetricFamily<Counter> {
        register(name: name, help: help, labels: labels) { Counter() }
    }

    public func gauge(_ name: String, help: String, labels: [String] = []) -> MetricFamily<Gauge> {
        register(name: name, help: help, labels: labels) { Gauge() }
    }

    public func histogram(_ name: String, help: String, labels: [String] = [], buckets: [Double]) -> MetricFamily<Histogram> {
        precondition(!labels.contains("le"), "\"le\" is reserved for histogram buckets")
        return register(name: name, help: help, labels: labels) { Histogram(upperBounds: buckets) }
    }

    /// A gauge whose samples `read` supplies at every scrape: how a component that owns its
    /// numbers (a connection pool, a queue) reports them without pushing updates. `read` runs
    /// on the admin listener's thread, so it must be quick and thread-safe.
    public func gaugeCallback(_ name: String, help: String, labels: [String] = [],
                              _ read: @escaping @Sendable () -> [GaugeSample]) {
        validate(name: name, labels: labels)
        let family = CallbackGaugeFamily(name: name, help: help, labelNames: labels, read: read)
        families.withLock { families in
            precondition(!families.contains { $0.name == name }, "metric \(name) is already registered")
            families.append(family)
        }
    }

    /// A counter whose samples `read` supplies at every scrape (totals a component keeps
    /// itself, such as the RPC server's refused connections); as `gaugeCallback` otherwise.
    public func counterCallback(_ name: String, help: String, labels: [String] = [],
                                _ read: @escaping @Sendable () -> [GaugeSample]) {
        validate(name: name, labels: labels)
        let family = CallbackGaugeFamily(name: name, help: help, labelNames: labels, typeName: "counter", read: read)
        families.withLock { families in
            precondition(!families.contains { $0.name == name }, "metric \(name) is already registered")
            families.append(family)
        }
    }

    /// Every family in registration order, in the text format 0.0.4.
    public func exposition() -> String {
        // Rendering outside the lock: callbacks may be slow-ish or register metrics themselves.
        let snapshot = families.withLock { $0 }
        var text = ""
        for family in snapshot { family.render(into: &text) }
        return text
    }

    private func register<Series: MetricSeries>(name: String, help: String, labels: [String],
                                                make: @escaping @Sendable () -> Series) -> MetricFamily<Series> {
        validate(name: name, labels: labels)
        return families.withLock { families in
            if let existing = families.first(where: { $0.name == name }) {
                guard let same = existing as? MetricFamily<Series>, same.labelNames == labels else {
                    preconditionFailure("metric \(name) is already registered as another kind or with other labels")
                }
                return same
            }
            let family = MetricFamily(name: name, help: help, labelNames: labels, makeSeries: make)
            families.append(family)
            return family
        }
    }

    private func validate(name: String, labels: [String]) {
        precondition(PrometheusText.isValidName(name), "invalid metric name \(name)")
        for label in labels {
            precondition(PrometheusText.isValidName(label, allowColon: false) && !label.hasPrefix("__"),
                         "invalid label name \(label)")
        }
        precondition(Set(labels).count == labels.count, "duplicate label names in \(name)")
    }
}
