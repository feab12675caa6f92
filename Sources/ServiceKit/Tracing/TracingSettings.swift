/// Where finished spans go: XSC_OTLP_ENDPOINT, an OpenTelemetry collector's OTLP/HTTP base URL
/// (`http://collector:4318`; spans are POSTed as JSON to `<base>/v1/traces`). Unset, the default,
/// exports nothing: trace and span ids are still taken from callers, passed to peers and written
/// in every log line, which is what finding one request across services needs.
public struct TracingSettings: Sendable, Equatable {
    public struct Endpoint: Sendable, Equatable, CustomStringConvertible {
        public var https: Bool
        public var host: String
        public var port: Int
        /// The base path, without a trailing slash ("" for the root).
        public var basePath: String

        public var tracesPath: String { basePath + "/v1/traces" }
        public var description: String { "\(https ? "https" : "http")://\(host):\(port)\(basePath)" }

        /// nil when `text` is not an http(s) URL with a host.
        public static func parse(_ text: String) -> Endpoint? {
            let https: Bool
            var rest: Substring
            if text.hasPrefix("http://") { https = false; rest = text.dropFirst(7) }
            else if text.hasPrefix("https://") { https = true; rest = text.dropFirst(8) }
            else { return nil }
            var path = ""
            if let slash = rest.firstIndex(of: "/") {
                path = String(rest[slash...])
                rest = rest[..<slash]
            }
            while path.hasSuffix("/") { path.removeLast() }
            var host = String(rest)
            var port = https ? 443 : 80
            if let colon = rest.lastIndex(of: ":") {
                guard let number = Int(rest[rest.index(after: colon)...]), (1...65_535).contains(number) else { return nil }
                host = String(rest[..<colon])
                port = number
            }
            guard !host.isEmpty, !host.contains("@"), !path.contains("?") else { return nil }
            return Endpoint(https: https, host: host, port: port, basePath: path)
        }
    }

    public var otlpEndpoint: Endpoint?

    public init(otlpEndpoint: Endpoint? = nil) {
        self.otlpEndpoint = otlpEndpoint
    }

    public var printableLines: [String] {
        ["XSC_OTLP_ENDPOINT=\(otlpEndpoint.map(String.init(describing:)) ?? "(off)")"]
    }
}

extension EnvironmentReader {
    mutating func tracing() -> TracingSettings {
        guard let text = value("XSC_OTLP_ENDPOINT"), !text.isEmpty else { return TracingSettings() }
        guard let endpoint = TracingSettings.Endpoint.parse(text) else {
            problems.append("XSC_OTLP_ENDPOINT must be an http:// or https:// URL of an OTLP/HTTP collector (e.g. http://collector:4318), got \"\(text)\"")
            return TracingSettings()
        }
        return TracingSettings(otlpEndpoint: endpoint)
    }
}
