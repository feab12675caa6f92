import Synchronization

/// Something the registry can write out in the text format.
protocol ExposedFamily: Sendable {
    var name: String { get }
    var labelNames: [String] { get }
    var typeName: String { get }
    func render(into text: inout String)
}

/// All series of one metric name, one per combination of label values. Label values are for
/// bounded sets (method, status code), never for ids or phone numbers.
public final class MetricFamily<Series: MetricSeries>: ExposedFamily {
    public let name: String
    public let help: String
    public let labelNames: [String]
    private let makeSeries: @Sendable () -> Series
    private let series = Mutex<[[String]: Series]>([:])

    var typeName: String { Series.typeName }

    init(name: String, help: String, labelNames: [String], makeSeries: @escaping @Sendable () -> Series) {
        self.name = name
        self.help = help
        self.labelNames = labelNames
        self.makeSeries = makeSeries
    }

    /// The series for these label values (in `labelNames` order), created on first use.
    public func labels(_ values: String...) -> Series {
        labels(values)
    }

    public func labels(_ values: [String]) -> Series {
        precondition(values.count == labelNames.count, "\(name) takes labels \(labelNames)")
        return series.withLock { series in
            if let existing = series[values] { return existing }
            let created = makeSeries()
            series[values] = created
            return created
        }
    }

    func render(into text: inout String) {
        PrometheusText.header(name: name, help: help, type: typeName, into: &text)
        let snapshot = series.withLock { $0 }
        for values in snapshot.keys.sorted(by: { $0.lexicographicallyPrecedes($1) }) {
            snapshot[values]?.render(name: name, labels: PrometheusText.labels(labelNames, values), into: &text)
        }
    }
}

/// A gauge read when scraped, for values owned elsewhere (the Postgres pool's connection
/// counts): `read` returns one sample per label-value combination.
final class CallbackGaugeFamily: ExposedFamily {
    let name: String
    let help: String
    let labelNames: [String]
    let read: @Sendable () -> [GaugeSample]
    /// "gauge", or "counter" for totals read the same way (MetricsRegistry.counterCallback).
    let typeName: String

    init(name: String, help: String, labelNames: [String], typeName: String = "gauge",
         read: @escaping @Sendable () -> [GaugeSample]) {
        self.name = name
        self.help = help
        self.labelNames = labelNames
        self.typeName = typeName
        self.read = read
    }

    func render(into text: inout String) {
        PrometheusText.header(name: name, help: help, type: typeName, into: &text)
        for sample in read() where sample.labelValues.count == labelNames.count {
            text += "\(name)\(PrometheusText.labels(labelNames, sample.labelValues)) \(PrometheusText.number(sample.value))\n"
        }
    }
}

public struct GaugeSample: Sendable, Equatable {
    public var labelValues: [String]
    public var value: Double

    public init(_ labelValues: [String] = [], _ value: Double) {
        self.labelValues = labelValues
        self.value = value
    }
}
