/// A structured logger: one JSON object per line with `ts` (ISO-8601 UTC, milliseconds),
/// `level`, `service`, `msg`, then the fields as top-level members. Phone numbers are masked in
/// the message and every field value before anything is written.
///
/// It is a value passed explicitly to whatever logs (no global logger), and cheap to copy;
/// `with(_:)` makes a child that adds fixed fields (a request id, a worker name) to every line.
/// A line written while a traced piece of work runs (a call, or a worker that bound a trace)
/// carries `trace_id` and `span_id`, so one request can be followed across services.
public struct Logger: Sendable {
    public let service: String
    public var level: LogLevel
    private let sink: any LogSink
    private let clock: WallClock
    private var baseFields: [(String, LogValue)] = []

    /// Members every line has; a field with one of these names is written as `field.<name>`.
    static let reservedKeys: Set<String> = ["ts", "level", "service", "msg", "trace_id", "span_id"]

    public init(service: String, level: LogLevel = .info, sink: any LogSink = StandardErrorSink(),
                clock: @escaping WallClock = SystemWallClock.now) {
        self.service = service
        self.level = level
        self.sink = sink
        self.clock = clock
    }

    public func isEnabled(_ level: LogLevel) -> Bool { level >= self.level }

    /// A logger that adds `fields` to every line it writes.
    public func with(_ fields: KeyValuePairs<String, LogValue>) -> Logger {
        var child = self
        child.baseFields.append(contentsOf: fields.map { ($0.key, $0.value) })
        return child
    }

    public func debug(_ message: @autoclosure () -> String, _ fields: KeyValuePairs<String, LogValue> = [:]) {
        log(.debug, message(), fields)
    }

    public func info(_ message: @autoclosure () -> String, _ fields: KeyValuePairs<String, LogValue> = [:]) {
        log(.info, message(), fields)
    }

    public func warning(_ message: @autoclosure () -> String, _ fields: KeyValuePairs<String, LogValue> = [:]) {
        log(.warning, message(), fields)
    }

    public func error(_ message: @autoclosure () -> String, _ fields: KeyValuePairs<String, LogValue> = [:]) {
        log(.error, message(), fields)
    }

    public func log(_ level: LogLevel, _ message: @autoclosure () -> String,
                    _ fields: KeyValuePairs<String, LogValue> = [:]) {
        guard isEnabled(level) else { return }
        write(level, message(), fields.map { ($0.key, $0.value) })
    }

    /// For fields assembled at run time.
    public func log(_ level: LogLevel, _ message: @autoclosure () -> String, fields: [(String, LogValue)]) {
        guard isEnabled(level) else { return }
        write(level, message(), fields)
    }

    /// For code that runs outside the traced task but knows the trace (an interceptor at the
    /// end of a call).
    public func log(_ level: LogLevel, _ message: @autoclosure () -> String, fields: [(String, LogValue)],
                    trace: TraceContext?) {
        guard isEnabled(level) else { return }
        write(level, message(), fields, trace: trace)
    }

    private func write(_ level: LogLevel, _ message: String, _ fields: [(String, LogValue)],
                       trace: TraceContext? = TraceContext.current) {
        var line = JSONLine()
        line.add("ts", .string(UTCTimestamp.format(unixMilliseconds: clock())))
        line.add("level", .string(level.description))
        line.add("service", .string(service))
        line.add("msg", .string(PhoneMasking.mask(message)))
        if let trace {
            line.add("trace_id", .string(trace.traceID))
            line.add("span_id", .string(trace.spanID))
        }
        for (key, value) in baseFields { line.add(Logger.fieldKey(key), Logger.masked(value)) }
        for (key, value) in fields { line.add(Logger.fieldKey(key), Logger.masked(value)) }
        sink.write(line: line.finished())
    }

    private static func fieldKey(_ key: String) -> String {
        reservedKeys.contains(key) ? "field." + key : key
    }

    /// Only strings can hold a phone number; a bare Int64 like 13812345678 is masked too,
    /// because a number logged as a number is still the number.
    private static func masked(_ value: LogValue) -> LogValue {
        switch value {
        case .string(let text): .string(PhoneMasking.mask(text))
        case .int(let number):
            PhoneMasking.mask(String(number)) == String(number) ? value : .string(PhoneMasking.mask(String(number)))
        case .double, .bool: value
        }
    }
}
