import HooklineCore
import Tracing

/// A target's OAuth token: fetched by one caller while the others wait, reused until expiry.
actor TokenCache {
    private let client: any TargetClient
    private let request: TokenRequest
    private let transport: TargetTransport
    private var current: AccessToken?
    private var inFlight: Task<Fetched, Never>?

    init(client: any TargetClient, request: TokenRequest, transport: TargetTransport) {
        self.client = client
        self.request = request
        self.transport = transport
    }

    enum Outcome: Sendable {
        case granted(String)
        /// No token: the call outcome that explains why (retried or failed like any call).
        case refused(CallOutcome)
    }

    /// A valid token, or the call outcome that explains why there is none. With tracing, a fetch
    /// is a CLIENT span under `parent` (the attempt that needed it first).
    func token(forceRefresh: Bool, parent: (any Span)? = nil, tracing: HooklineTracing? = nil) async -> Outcome {
        if forceRefresh { current = nil }
        if let current, MonotonicTime.now() < current.expiresAt { return .granted(current.value) }
        let task: Task<Fetched, Never>
        if let inFlight {
            task = inFlight
        } else {
            let (client, request, transport) = (client, request, transport)
            // A task of its own on purpose: every worker that needs a token meanwhile awaits this
            // one fetch, and one worker's cancellation must not fail the others'.
            var call = request.call
            let span = parent.flatMap { parent in tracing?.startCall(&call, url: request.url, target: client.settings.name, parent: parent) }
            task = Task { [call] in await Self.fetch(client: client, call: call, url: request.url, transport: transport, span: span) }
            inFlight = task
        }
        let fetched = await task.value
        inFlight = nil
        switch fetched {
        case .token(let token):
            current = token
            return .granted(token.value)
        case .refused(let outcome):
            return .refused(outcome)
        }
    }

    private enum Fetched: Sendable {
        case token(AccessToken)
        case refused(CallOutcome)
    }

    /// Fetches a token; `span`, the fetch's CLIENT span, ends with the answer's status.
    private static func fetch(client: any TargetClient, call: TargetCall, url: String, transport: TargetTransport, span: (any Span)?) async -> Fetched {
        switch await transport.send(call, url: url, timeout: client.settings.timeout) {
        case .failure(let failure):
            span.map { HooklineTracing.endCall($0, unanswered: failure) }
            // The token endpoint was not reached or did not answer: retried like any call.
            return .refused(.unreachable(failure))
        case .success(let response):
            span.map { HooklineTracing.endCall($0, status: response.status, failure: nil) }
            if let token = client.token(from: response, now: .now()) { return .token(token) }
            let excerpt = ErrorExcerpt.describe(response, secrets: client.secrets)
            let verdict: CallVerdict =
                (response.status >= 500 || response.status == 429)
                ? .retry(after: nil, reason: "token endpoint: \(excerpt)")
                : .permanent(reason: "the token endpoint refused the client credentials: \(excerpt)")
            return .refused(.answered(response, verdict))
        }
    }
}
