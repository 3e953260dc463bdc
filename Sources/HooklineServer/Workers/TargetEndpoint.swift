import HooklineCore
import Synchronization
import Tracing

/// Everything Hookline keeps per target: its client (request building and classification), its
/// client-side rate limiter, and its OAuth token (fetched once for concurrent callers).
package final class TargetEndpoint: Sendable {
    package let client: any TargetClient
    private let limiter: (any TargetRateLimiter)?
    private let tokens: TokenCache?
    private let transport: TargetTransport
    private let metrics: HooklineMetrics?
    private let inFlight = Atomic<Int>(0)

    /// Calls to this target awaiting an answer right now.
    package var callsInFlight: Int { inFlight.load(ordering: .relaxed) }

    package var name: String { client.settings.name }

    /// Whether a refused token can be refreshed (an OAuth target).
    package var refreshesCredentials: Bool { tokens != nil }

    /// `limiter` is the target's shared rate, when its settings give one.
    package init(client: any TargetClient, limiter: (any TargetRateLimiter)?, transport: TargetTransport, metrics: HooklineMetrics? = nil) {
        self.client = client
        self.transport = transport
        self.metrics = metrics
        self.limiter = limiter
        self.tokens = client.tokenRequest.map { TokenCache(client: client, request: $0, transport: transport) }
    }

    /// Reserves the next `count` call slots at `now` (all `now` when the target has no limit).
    package func reserveSlots(_ count: Int, now: MonotonicTime) async throws(JournalFailure) -> [MonotonicTime] {
        guard let limiter else { return Array(repeating: now, count: count) }
        return try await limiter.reserve(count, now: now)
    }

    /// The end of the target's last pause (a 429), if any.
    package func pausedUntil(now: MonotonicTime) async throws(JournalFailure) -> MonotonicTime? {
        try await limiter?.pausedUntil(now: now)
    }

    /// The target said to wait: no call before `until`.
    package func pause(until: MonotonicTime, now: MonotonicTime) async {
        await limiter?.pause(until: until, now: now)
    }

    /// Sends `call` with credentials (a fresh token when `refreshingToken`) and classifies the
    /// answer, if the lease grants the call: asked after the token (which may take a call of its
    /// own), again right before the body is written, and whether it still covered the call once
    /// the body was written (`CallFence`): `writtenLate` when it did not. What follows is
    /// `AttemptDecision`'s to say.
    /// With tracing, the call is a CLIENT span under `parent` and carries its `traceparent`.
    package func perform(
        _ call: TargetCall, refreshingToken: Bool = false, lease: LeaseCheck? = nil,
        parent: (any Span)? = nil, tracing: HooklineTracing? = nil
    ) async -> (result: Result<CallOutcome, CallNotStarted>, writtenLate: Bool) {
        var token: String?
        if let tokens {
            switch await tokens.token(forceRefresh: refreshingToken, parent: parent, tracing: tracing) {
            case .granted(let value): token = value
            case .refused(let outcome): return (.success(outcome), false)
            }
        }
        var authorized = client.authorize(call, token: token)
        let url = client.url(for: authorized)
        let span = parent.flatMap { parent in tracing?.startCall(&authorized, url: url, target: name, parent: parent) }
        let timeout = client.settings.timeout
        let fence = lease?.fence(forCallOf: timeout)
        if let permission = fence?.permit(), !permission.isGranted {
            span.map { HooklineTracing.endCall($0, status: nil, failure: "not_permitted") }
            return (.failure(CallNotStarted(permission: permission)), false)
        }
        inFlight.add(1, ordering: .relaxed)
        let started = ContinuousClock.now
        let sent = await transport.send(authorized, url: url, timeout: timeout, fence: fence)
        inFlight.subtract(1, ordering: .relaxed)
        let writtenLate = fence?.writtenLate ?? false
        switch sent {
        case .failure(.notPermitted(let permission)):
            span.map { HooklineTracing.endCall($0, status: nil, failure: "not_permitted") }
            return (.failure(CallNotStarted(permission: permission)), writtenLate)
        case .failure(.transport(let failure)):
            metrics?.call(target: name, status: nil, duration: .now - started)
            span.map { HooklineTracing.endCall($0, unanswered: failure) }
            return (.success(.unreachable(failure)), writtenLate)
        case .success(let response):
            metrics?.call(target: name, status: response.status, duration: .now - started)
            span.map { HooklineTracing.endCall($0, status: response.status, failure: nil) }
            return (.success(.answered(response, client.classify(response, to: call))), writtenLate)
        }
    }
}

/// A call that was not sent: the lease on its job's lane could no longer cover it.
package struct CallNotStarted: Error, Sendable, Hashable {
    package let permission: CallPermission
}

/// The lease a job's calls run under: its store's rules (`Store.permit`, `Store.covers`) for it.
package struct LeaseCheck: Sendable {
    let store: any Store
    let job: Job

    package init(_ store: any Store, job: Job) {
        self.store = store
        self.job = job
    }

    /// The checks around one call with `timeout`.
    func fence(forCallOf timeout: Duration) -> CallFence {
        CallFence(permit: { [store, job] in store.permit(job, callTimeout: timeout) }, covers: { [store, job] in store.covers(job, callTimeout: timeout) })
    }
}
