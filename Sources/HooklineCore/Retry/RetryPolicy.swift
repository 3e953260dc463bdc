/// What to do after a transient failure.
package enum RetryDecision: Sendable, Hashable {
    /// Try again after this delay.
    case retry(after: Duration)
    /// The budget is spent: the job is dead. The reason is written to the audit log.
    case giveUp(reason: String)
}

/// Exponential backoff with full jitter, bounded by an attempt budget and an age budget.
///
/// The delay before attempt n+1 is uniform in `0...min(maxDelay, baseDelay × 2ⁿ⁻¹)`, and never
/// shorter than what the target asked for (`Retry-After`, `X-Rate-Limited-For`).
package struct RetryPolicy: Sendable, Hashable {
    package var baseDelay: Duration
    package var maxDelay: Duration
    /// Attempts in all, the first included.
    package var maxAttempts: Int
    /// How long after its first attempt a job may still be retried.
    package var maxAge: Duration

    package init(
        baseDelay: Duration = .seconds(1),
        maxDelay: Duration = .seconds(300),
        maxAttempts: Int = 10,
        maxAge: Duration = .seconds(86_400)
    ) {
        self.baseDelay = baseDelay
        self.maxDelay = maxDelay
        self.maxAttempts = maxAttempts
        self.maxAge = maxAge
    }

    /// The decision after attempt number `attempt` (1-based) failed transiently at `now`.
    package func decision(
        afterAttempt attempt: Int,
        firstAttemptAt: MonotonicTime,
        now: MonotonicTime,
        requestedDelay: Duration?,
        using generator: inout some RandomNumberGenerator
    ) -> RetryDecision {
        guard attempt < maxAttempts else {
            return .giveUp(reason: "gave up after \(attempt) attempts (retry.max_attempts)")
        }
        let delayMillis = max(delay(afterAttempt: attempt, using: &generator).wholeMilliseconds, requestedDelay?.wholeMilliseconds ?? 0)
        let next = now + .milliseconds(delayMillis)
        guard next.since(firstAttemptAt) <= maxAge else {
            return .giveUp(reason: "gave up: the next attempt would be \(next.since(firstAttemptAt).wholeMilliseconds / 1000) s after the first (retry.max_age)")
        }
        return .retry(after: .milliseconds(delayMillis))
    }

    /// The jittered backoff alone, budgets aside: uniform in `0...min(maxDelay, baseDelay × 2ⁿ⁻¹)`
    /// after attempt n. Background loops that retry until stopped (a lost LISTEN, a finish the
    /// database did not take) wait this long, with `RetryPolicy.untilStopped`.
    package func delay(afterAttempt attempt: Int, using generator: inout some RandomNumberGenerator) -> Duration {
        let capMillis = min(maxDelay.wholeMilliseconds, ceilingMillis(afterAttempt: attempt))
        return .milliseconds(capMillis > 0 ? Int64.random(in: 0...capMillis, using: &generator) : 0)
    }

    /// The jittered backoff alone, with the system's random numbers.
    package func delay(afterAttempt attempt: Int) -> Duration {
        var generator = SystemRandomNumberGenerator()
        return delay(afterAttempt: attempt, using: &generator)
    }

    /// A policy for work that retries until it succeeds or is stopped: no attempt or age budget.
    package static func untilStopped(base: Duration, max: Duration) -> RetryPolicy {
        RetryPolicy(baseDelay: base, maxDelay: max, maxAttempts: .max, maxAge: .seconds(Int64.max))
    }

    /// `baseDelay × 2^(attempt-1)` in milliseconds, without overflowing.
    private func ceilingMillis(afterAttempt attempt: Int) -> Int64 {
        let base = max(0, baseDelay.wholeMilliseconds)
        let doublings = min(max(attempt - 1, 0), 40)
        let (product, overflow) = base.multipliedReportingOverflow(by: Int64(1) << doublings)
        return overflow ? Int64.max : product
    }
}
