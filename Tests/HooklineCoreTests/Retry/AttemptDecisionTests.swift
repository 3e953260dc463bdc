import HooklineCore
import Testing

@Suite("the decision after each call, at fixed instants")
struct AttemptDecisionTests {
    static let t0 = MonotonicTime(nanoseconds: 5_000_000_000_000)
    static let policy = RetryPolicy(baseDelay: .seconds(1), maxDelay: .seconds(60), maxAttempts: 5, maxAge: .seconds(600))
    static let put = TargetCall(method: "PUT", path: "/contacts/144")
    static let post = TargetCall(method: "POST", path: "/contact-details")

    static func attempt(_ number: Int, budgetStart: Int = 0, firstAt: MonotonicTime = t0, refreshable: Bool = true, refreshed: Bool = false) -> AttemptState {
        var state = AttemptState(number: number, budgetStart: budgetStart, firstAttemptAt: firstAt, refreshableCredentials: refreshable)
        state.refreshedCredentials = refreshed
        return state
    }

    static func decide(_ outcome: CallOutcome, call: TargetCall = put, attempt: AttemptState = attempt(1), now: MonotonicTime = t0) -> AttemptAction {
        var generator = SeededGenerator(seed: 11)
        return AttemptDecision.decide(outcome, of: call, at: "buildr", attempt: attempt, now: now, policy: policy, using: &generator)
    }

    static func answer(_ status: Int, _ verdict: CallVerdict, headers: [HeaderField] = []) -> CallOutcome {
        .answered(TargetResponse(status: status, headers: headers), verdict)
    }

    @Test("a success goes on, with what it created")
    func success() {
        let learned = LearnedReference(key: "acct/email", id: "uuid-1")
        #expect(Self.decide(Self.answer(201, .success(learned: learned))) == .proceed(learned: learned))
    }

    @Test("a transient failure is retried within the backoff's first step")
    func transient() {
        guard case .retry(let delay, let status, let error) = Self.decide(Self.answer(503, .retry(after: nil, reason: "HTTP 503: busy"))) else {
            Issue.record("not a retry")
            return
        }
        #expect(delay >= .zero && delay <= .seconds(1))
        #expect(status == 503)
        #expect(error == "HTTP 503: busy")
    }

    @Test("a 429 is retried no sooner than asked, and pauses the target for as long")
    func rateLimited() {
        let outcome = Self.answer(429, .retry(after: .seconds(7), reason: "HTTP 429"))
        guard case .retry(let delay, _, _) = Self.decide(outcome) else {
            Issue.record("not a retry")
            return
        }
        #expect(delay >= .seconds(7))
        #expect(AttemptDecision.targetPause(after: outcome, policy: Self.policy) == .seconds(7))
        #expect(AttemptDecision.targetPause(after: Self.answer(429, .retry(after: nil, reason: "")), policy: Self.policy) == .seconds(1))
        #expect(AttemptDecision.targetPause(after: Self.answer(503, .retry(after: .seconds(7), reason: "")), policy: Self.policy) == nil)
    }

    @Test("a permanent error fails at once")
    func permanent() {
        #expect(Self.decide(Self.answer(422, .permanent(reason: "HTTP 422: invalid"))) == .finish(.failed, status: 422, error: "HTTP 422: invalid"))
    }

    @Test("a 401 refreshes the token once, then fails; without a token it fails at once")
    func refresh() {
        let refused = Self.answer(401, .refreshCredentials)
        #expect(Self.decide(refused) == .refreshCredentials)
        #expect(
            Self.decide(refused, attempt: Self.attempt(1, refreshed: true))
                == .finish(.failed, status: 401, error: "HTTP 401: buildr refused the credentials even after a fresh token (check client_id and client_secret)"))
        #expect(Self.decide(refused, attempt: Self.attempt(1, refreshable: false)) == .finish(.failed, status: 401, error: "HTTP 401: buildr refused the credentials"))
    }

    @Test("a POST that may have reached the target is never repeated; one that surely did not is retried")
    func postOfUnknownFate() {
        let lost = CallOutcome.unreachable(TransportFailure(mayHaveReachedTarget: true, description: "no answer in time"))
        guard case .finish(.failed, nil, let error) = Self.decide(lost, call: Self.post) else {
            Issue.record("a POST of unknown fate was not failed")
            return
        }
        #expect(error.hasPrefix("no answer in time after sending POST /contact-details; a POST that may have reached buildr is not repeated"))
        guard case .retry = Self.decide(lost, call: Self.put) else {
            Issue.record("an idempotent call of unknown fate was not retried")
            return
        }
        let refused = CallOutcome.unreachable(TransportFailure(mayHaveReachedTarget: false, description: "could not connect"))
        guard case .retry(_, nil, "could not connect") = Self.decide(refused, call: Self.post) else {
            Issue.record("a POST that never left was not retried")
            return
        }
    }

    @Test("past the attempt budget or the age budget the job is dead; a redrive's budget starts at its attempt")
    func budgets() {
        let busy = Self.answer(503, .retry(after: nil, reason: "HTTP 503"))
        #expect(Self.decide(busy, attempt: Self.attempt(5)) == .finish(.dead, status: 503, error: "HTTP 503; gave up after 5 attempts (retry.max_attempts)"))
        guard case .retry = Self.decide(busy, attempt: Self.attempt(7, budgetStart: 5)) else {
            Issue.record("a redrive's fresh budget was not used")
            return
        }
        let late = Self.t0 + .seconds(599)
        guard case .finish(.dead, _, let error) = Self.decide(Self.answer(503, .retry(after: .seconds(5), reason: "HTTP 503")), now: late) else {
            Issue.record("the age budget was not applied")
            return
        }
        #expect(error.hasSuffix("(retry.max_age)"))
    }
}
