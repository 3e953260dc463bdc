import HooklineCore
import Synchronization

/// Everything Hookline keeps per target: its client, its client-side rate limiter and its
/// OAuth token (fetched once for concurrent callers, refreshed on demand).
public final class TargetExecutor: Sendable {
    public let client: any TargetClient
    private let limiter: Mutex<RateLimiter>?
    private let tokens: TokenCache?
    private let transport: TargetTransport
    private let metrics: HooklineMetrics?
    private let inFlight = Atomic<Int>(0)

    /// Calls to this target awaiting an answer right now.
    public var callsInFlight: Int { inFlight.load(ordering: .relaxed) }

    public var name: String { client.settings.name }

    public init(client: any TargetClient, transport: TargetTransport, metrics: HooklineMetrics? = nil) {
        self.client = client
        self.transport = transport
        self.metrics = metrics
        self.limiter = client.settings.rateLimit.map { Mutex(RateLimiter(limit: $0.requests, period: $0.period, burst: $0.burst)) }
        self.tokens = client.tokenRequest.map { TokenCache(client: client, request: $0, transport: transport) }
    }

    /// Reserves the next `count` call slots at `now` (all `now` when the target has no limit).
    public func reserveSlots(_ count: Int, now: UnixTime) -> [UnixTime] {
        limiter?.withLock { limiter in (0..<count).map { _ in limiter.reserve(now: now) } }
            ?? Array(repeating: now, count: count)
    }

    /// The target said to wait: no call before `until`.
    public func pause(until: UnixTime) {
        limiter?.withLock { $0.pause(until: until) }
    }

    /// What happened to one call.
    public enum CallResult: Sendable {
        case answered(TargetResponse, CallVerdict)
        case unreachable(TransportFailure)
    }

    /// Sends `call` with credentials; on a 401 from an OAuth target, refreshes the token and
    /// repeats the call once.
    public func perform(_ call: TargetCall) async -> CallResult {
        var refreshed = false
        while true {
            var token: String?
            if let tokens {
                switch await tokens.token(forceRefresh: refreshed) {
                case .granted(let value): token = value
                case .refused(let problem): return problem
                }
            }
            let authorized = client.authorize(call, token: token)
            inFlight.add(1, ordering: .relaxed)
            let started = ContinuousClock.now
            let sent = await transport.send(authorized, url: client.url(for: authorized), timeout: client.settings.timeout)
            inFlight.subtract(1, ordering: .relaxed)
            metrics?.call(target: name, status: (try? sent.get())?.status, duration: .now - started)
            switch sent {
            case .failure(let failure):
                return .unreachable(failure)
            case .success(let response):
                let verdict = client.classify(response, to: call)
                if verdict == .refreshCredentials {
                    if !refreshed && tokens != nil {
                        refreshed = true
                        continue
                    }
                    return .answered(response, .permanent(reason: "HTTP 401: \(name) refused the credentials even after a fresh token (check client_id and client_secret)"))
                }
                return .answered(response, verdict)
            }
        }
    }
}

/// A target's OAuth token: fetched by one caller while the others wait, reused until expiry.
actor TokenCache {
    private let client: any TargetClient
    private let request: TokenRequest
    private let transport: TargetTransport
    private var current: AccessToken?
    private var inFlight: Task<Result<AccessToken, TargetExecutor.CallResultBox>, Never>?

    init(client: any TargetClient, request: TokenRequest, transport: TargetTransport) {
        self.client = client
        self.request = request
        self.transport = transport
    }

    enum Outcome: Sendable {
        case granted(String)
        /// No token: the call result that explains why (retried or failed like any call).
        case refused(TargetExecutor.CallResult)
    }

    /// A valid token, or the call result that explains why there is none.
    func token(forceRefresh: Bool) async -> Outcome {
        if forceRefresh { current = nil }
        if let current, UnixTime.now() < current.expiresAt { return .granted(current.value) }
        let task: Task<Result<AccessToken, TargetExecutor.CallResultBox>, Never>
        if let inFlight {
            task = inFlight
        } else {
            let (client, request, transport) = (client, request, transport)
            task = Task {
                switch await transport.send(request.call, url: request.url, timeout: client.settings.timeout) {
                case .failure(let failure):
                    // The token endpoint was not reached or did not answer: retried like any call.
                    return .failure(TargetExecutor.CallResultBox(.unreachable(failure)))
                case .success(let response):
                    if let token = client.token(from: response, now: .now()) { return .success(token) }
                    let excerpt = ErrorExcerpt.describe(response, secrets: client.secrets)
                    let verdict: CallVerdict =
                        (response.status >= 500 || response.status == 429)
                        ? .retry(after: nil, reason: "token endpoint: \(excerpt)")
                        : .permanent(reason: "the token endpoint refused the client credentials: \(excerpt)")
                    return .failure(TargetExecutor.CallResultBox(.answered(response, verdict)))
                }
            }
            inFlight = task
        }
        let result = await task.value
        inFlight = nil
        switch result {
        case .success(let token):
            current = token
            return .granted(token.value)
        case .failure(let box):
            return .refused(box.result)
        }
    }
}

extension TargetExecutor {
    /// A call result carried as an error through the token task.
    struct CallResultBox: Error, Sendable {
        let result: CallResult
        init(_ result: CallResult) { self.result = result }
    }
}
