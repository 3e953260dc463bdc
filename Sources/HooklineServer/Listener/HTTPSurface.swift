import HooklineCore
import NIOHTTP1

/// Hookline's non-webhook endpoints: health, readiness and metrics.
struct HTTPSurface: Sendable {
    /// Whether the server can take work (`/readyz`): nil when ready, else why not.
    let readiness: @Sendable () -> String?
    /// The Prometheus exposition (`/metrics`).
    let metrics: @Sendable () -> String

    func answer(method: HTTPMethod, path: String) -> HTTPAnswer {
        switch path {
        case "/healthz", "/readyz", "/metrics":
            guard method == .GET || method == .HEAD else {
                return .error(405, "use GET", headers: [HeaderField(name: "Allow", value: "GET, HEAD")])
            }
        default:
            return .error(404, "no such endpoint; webhooks are delivered to POST /webhooks/{source}")
        }
        switch path {
        case "/healthz":
            return .status(200, "ok")
        case "/readyz":
            if let problem = readiness() {
                return HTTPAnswer(status: 503, body: ["status": "unready", "reason": .string(problem)])
            }
            return .status(200, "ready")
        default:
            return HTTPAnswer(status: 200, text: metrics(), contentType: "text/plain; version=0.0.4; charset=utf-8")
        }
    }
}
