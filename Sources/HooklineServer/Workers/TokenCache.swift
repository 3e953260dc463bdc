import HooklineCore

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

    /// A valid token, or the call outcome that explains why there is none.
    func token(forceRefresh: Bool) async -> Outcome {
        if forceRefresh { current = nil }
        if let current, MonotonicTime.now() < current.expiresAt { return .granted(current.value) }
        let task: Task<Fetched, Never>
        if let inFlight {
            task = inFlight
        } else {
            let (client, request, transport) = (client, request, transport)
            // A task of its own on purpose: every worker that needs a token meanwhile awaits this
            // one fetch, and one worker's cancellation must not fail the others'.
            task = Task { await Self.fetch(client: client, request: request, transport: transport) }
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

    private static func fetch(client: any TargetClient, request: TokenRequest, transport: TargetTransport) async -> Fetched {
        switch await transport.send(request.call, url: request.url, timeout: client.settings.timeout) {
        case .failure(let failure):
            // The token endpoint was not reached or did not answer: retried like any call.
            return .refused(.unreachable(failure))
        case .success(let response):
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
