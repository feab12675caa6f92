/// What the admin listener answers: /metrics for Prometheus, /healthz (the process runs) and
/// /readyz (the service wants traffic) for orchestrators.
struct AdminRoutes: Sendable {
    let metrics: MetricsRegistry
    /// Called on the admin thread for every /readyz: return a cached flag, do no I/O here.
    let isReady: @Sendable () -> Bool

    func respond(to request: HTTPRequestHead) -> HTTPResponse {
        guard request.method == "GET" else {
            return HTTPResponse(status: 405, body: "method not allowed\n", extraHeaders: [("Allow", "GET")])
        }
        switch request.path {
        case "/metrics":
            return HTTPResponse(status: 200, body: metrics.exposition(), contentType: PrometheusText.contentType)
        case "/healthz":
            return HTTPResponse(status: 200, body: "ok\n")
        case "/readyz":
            return isReady() ? HTTPResponse(status: 200, body: "ready\n") : HTTPResponse(status: 503, body: "not ready\n")
        default:
            return .error(404)
        }
    }
}
