/// Where a job's current attempt stands when one of its calls comes back.
package struct AttemptState: Sendable, Hashable {
    /// This attempt's number, from 1; attempts keep counting across a redrive.
    package var number: Int
    /// The attempt number the current retry budget started from (0, or where a redrive began).
    package var budgetStart: Int
    /// When the job's first attempt began, for the retry age budget.
    package var firstAttemptAt: MonotonicTime
    /// Whether the target's credentials can be refreshed (an OAuth token).
    package var refreshableCredentials: Bool
    /// Whether this attempt already refreshed them once.
    package var refreshedCredentials = false

    package init(number: Int, budgetStart: Int, firstAttemptAt: MonotonicTime, refreshableCredentials: Bool) {
        self.number = number
        self.budgetStart = budgetStart
        self.firstAttemptAt = firstAttemptAt
        self.refreshableCredentials = refreshableCredentials
    }
}

/// What the worker does next after a call: every decision about retries, failures, the 429
/// pause, POSTs of unknown fate and token refresh, as a value the worker only carries out.
package enum AttemptAction: Sendable, Hashable {
    /// The call succeeded: go on with the plan, remembering what it created.
    case proceed(learned: LearnedReference?)
    /// Fetch a fresh token and repeat the call (a 401 from an OAuth target, once per attempt).
    case refreshCredentials
    /// A transient failure: write a `retry` line and hold the job (and its lane) for `delay`.
    case retry(after: Duration, status: Int?, error: String)
    /// The job ends at the target with this outcome.
    case finish(AuditOutcome, status: Int?, error: String)
}

/// The decision after each call, in async-http-client's state-machine style: a pure function of
/// the call's outcome, the attempt and the time, returning the action to carry out.
package enum AttemptDecision {
    package static func decide(
        _ outcome: CallOutcome,
        of call: TargetCall,
        at target: String,
        attempt: AttemptState,
        now: MonotonicTime,
        policy: RetryPolicy,
        using generator: inout some RandomNumberGenerator
    ) -> AttemptAction {
        switch outcome {
        case .answered(_, .success(let learned)):
            return .proceed(learned: learned)
        case .answered(let response, .retry(let requested, let reason)):
            return transientFailure(attempt, status: response.status, error: reason, requested: requested, now: now, policy: policy, using: &generator)
        case .answered(let response, .permanent(let reason)):
            return .finish(.failed, status: response.status, error: reason)
        case .answered(let response, .refreshCredentials):
            guard attempt.refreshableCredentials else {
                return .finish(.failed, status: response.status, error: "HTTP \(response.status): \(target) refused the credentials")
            }
            guard attempt.refreshedCredentials else { return .refreshCredentials }
            return .finish(
                .failed, status: response.status,
                error: "HTTP \(response.status): \(target) refused the credentials even after a fresh token (check client_id and client_secret)")
        case .unreachable(let failure):
            // Repeating a create that may have happened could create it twice.
            if failure.mayHaveReachedTarget && !call.isIdempotent {
                return .finish(
                    .failed, status: nil,
                    error: "\(failure.description) after sending \(call.summary); a POST that may have reached \(target) is not repeated (it could create a duplicate) — check the target, then redrive")
            }
            return transientFailure(attempt, status: nil, error: failure.description, requested: nil, now: now, policy: policy, using: &generator)
        }
    }

    /// How long every call to the target must wait after this outcome: a 429 pauses the
    /// target's limiter for what it asked (else the base delay), whatever becomes of the job.
    package static func targetPause(after outcome: CallOutcome, policy: RetryPolicy) -> Duration? {
        guard case .answered(let response, .retry(let requested, _)) = outcome, response.status == 429 else { return nil }
        return requested ?? policy.baseDelay
    }

    /// After a transient failure (also one before any call, such as a store that cannot be
    /// read): retry after the backoff, no sooner than `requested`, or `dead` past the budget.
    package static func transientFailure(
        _ attempt: AttemptState,
        status: Int?,
        error: String,
        requested: Duration?,
        now: MonotonicTime,
        policy: RetryPolicy,
        using generator: inout some RandomNumberGenerator
    ) -> AttemptAction {
        switch policy.decision(
            afterAttempt: attempt.number - attempt.budgetStart, firstAttemptAt: attempt.firstAttemptAt, now: now, requestedDelay: requested,
            using: &generator)
        {
        case .retry(let delay):
            return .retry(after: delay, status: status, error: error)
        case .giveUp(let reason):
            return .finish(.dead, status: status, error: "\(error); \(reason)")
        }
    }
}
