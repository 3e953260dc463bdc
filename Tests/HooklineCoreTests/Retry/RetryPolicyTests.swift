import HooklineCore
import Testing

@Suite("retry policy and rate limiter")
struct RetryPolicyTests {
    static let t0 = MonotonicTime(nanoseconds: 1_000_000_000_000)

    @Test("backoff is full jitter under a doubling ceiling")
    func fullJitter() {
        let policy = RetryPolicy(baseDelay: .seconds(1), maxDelay: .seconds(8), maxAttempts: 100, maxAge: .seconds(86_400))
        var generator = SeededGenerator(seed: 1)
        for attempt in 1...8 {
            let ceiling = min(8000, 1000 << (attempt - 1))
            var seen: [Int64] = []
            for _ in 0..<200 {
                guard case .retry(let delay) = policy.decision(afterAttempt: attempt, firstAttemptAt: Self.t0, now: Self.t0, requestedDelay: nil, using: &generator) else {
                    Issue.record("gave up early")
                    return
                }
                seen.append(delay.wholeMilliseconds)
            }
            #expect(seen.allSatisfy { (0...Int64(ceiling)).contains($0) })
            // Full jitter spreads across the whole range, not just near the ceiling.
            #expect(seen.contains { $0 < Int64(ceiling) / 4 } && seen.contains { $0 > Int64(ceiling) * 3 / 4 })
        }
    }

    @Test("a policy that retries until stopped never gives up, and its backoff is the same jittered doubling, capped")
    func untilStopped() {
        let policy = RetryPolicy.untilStopped(base: .milliseconds(100), max: .seconds(5))
        var generator = SeededGenerator(seed: 4)
        let late = MonotonicTime(nanoseconds: Self.t0.nanoseconds + 10 * 86_400 * 1_000_000_000)
        for attempt in [1, 2, 6, 7, 40, 10_000] {
            let ceiling = min(5000, Int64(100) << min(attempt - 1, 40))
            let delays = (0..<100).map { _ in policy.delay(afterAttempt: attempt, using: &generator).wholeMilliseconds }
            #expect(delays.allSatisfy { (0...ceiling).contains($0) }, "attempt \(attempt)")
            #expect(Set(delays).count > 10, "jittered, attempt \(attempt)")
            guard case .retry = policy.decision(afterAttempt: attempt, firstAttemptAt: Self.t0, now: late, requestedDelay: nil, using: &generator) else {
                Issue.record("gave up at attempt \(attempt)")
                return
            }
        }
    }

    @Test("the delay is never shorter than what the target asked for")
    func honoursRequestedDelay() {
        let policy = RetryPolicy(baseDelay: .milliseconds(100), maxDelay: .seconds(1))
        var generator = SeededGenerator(seed: 2)
        for _ in 0..<50 {
            let decision = policy.decision(afterAttempt: 1, firstAttemptAt: Self.t0, now: Self.t0, requestedDelay: .seconds(2), using: &generator)
            #expect(decision == .retry(after: .seconds(2)))
        }
    }

    @Test("attempt and age budgets end in giving up")
    func budgets() {
        var generator = SeededGenerator(seed: 3)
        let policy = RetryPolicy(baseDelay: .seconds(1), maxDelay: .seconds(1), maxAttempts: 3, maxAge: .seconds(10))
        let exhausted = policy.decision(afterAttempt: 3, firstAttemptAt: Self.t0, now: Self.t0, requestedDelay: nil, using: &generator)
        #expect(exhausted == .giveUp(reason: "gave up after 3 attempts (retry.max_attempts)"))
        guard case .giveUp = policy.decision(afterAttempt: 1, firstAttemptAt: Self.t0, now: Self.t0 + .seconds(9), requestedDelay: .seconds(5), using: &generator) else {
            Issue.record("retried past the age budget")
            return
        }
    }

    @Test("the limiter allows its burst at once, then spaces calls evenly")
    func burstThenSpacing() {
        var limiter = RateLimiter(limit: 10, period: .seconds(10), burst: 9)
        let slots = (0..<13).map { _ in limiter.reserve(now: Self.t0).since(Self.t0).wholeMilliseconds }
        #expect(slots == [0, 0, 0, 0, 0, 0, 0, 0, 0, 1000, 2000, 3000, 4000])
    }

    /// Request times: bursts and lulls, as webhooks arrive.
    static let arrivals: [Int64] = (0..<300).map { step in Int64(step / 25) * 7_000 + Int64(step % 25) * 3 }

    @Test("Buildr's default (10 per 10 s, burst 9) never overflows Buildr's leaky bucket of 10, even with one interval of send jitter")
    func leakyBucketSafe() {
        let defaults = TargetKind.buildr.defaultRateLimit
        var limiter = RateLimiter(limit: defaults?.requests ?? 0, period: defaults?.period ?? .zero, burst: defaults?.burst ?? 0)
        var level = 0.0
        var last: Int64 = 0
        var worst = 0.0
        for (index, arrival) in Self.arrivals.enumerated() {
            let slot = limiter.reserve(now: Self.t0 + .milliseconds(arrival)).since(Self.t0).wholeMilliseconds
            // Jitter: every 9th call is delayed by nearly a full interval, the others go on time.
            let sent = slot + (index % 9 == 0 ? 950 : 0)
            let at = max(sent, last)
            level = max(0, level - Double(at - last) / 1000)
            last = at
            level += 1
            worst = max(worst, level)
        }
        #expect(worst <= 10.0 + 1e-9)
    }

    @Test("Plannr's default (500 a minute, evenly spaced) never puts more than 500 calls in any minute")
    func windowSafe() {
        let defaults = TargetKind.plannr.defaultRateLimit
        #expect(defaults == RateLimitSettings(requests: 500, period: .seconds(60), burst: 1))
        var limiter = RateLimiter(limit: 500, period: .seconds(60), burst: defaults?.burst ?? 0)
        let slots = (0..<1500).map { step in limiter.reserve(now: Self.t0 + .milliseconds(Int64(step / 400) * 20_000)).since(Self.t0).wholeMilliseconds }
        var front = 0
        for end in slots.indices {
            while slots[end] - slots[front] >= 60_000 { front += 1 }
            #expect(end - front + 1 <= 500)
        }
    }

    @Test("after a pause the limiter resumes at its rate without a burst")
    func pause() {
        var limiter = RateLimiter(limit: 10, period: .seconds(10), burst: 9)
        limiter.pause(until: Self.t0 + .seconds(2))
        let slots = (0..<3).map { _ in limiter.reserve(now: Self.t0).since(Self.t0).wholeMilliseconds }
        #expect(slots == [2000, 3000, 4000])
        var unlimited = RateLimiter(limit: 1, period: .seconds(1))
        #expect(unlimited.reserve(now: Self.t0) == Self.t0)
    }

    @Test("an idle limiter refills")
    func refill() {
        var limiter = RateLimiter(limit: 3, period: .seconds(3), burst: 2)
        _ = limiter.reserve(now: Self.t0)
        _ = limiter.reserve(now: Self.t0)
        let third = limiter.reserve(now: Self.t0)
        let later = limiter.reserve(now: Self.t0 + .seconds(60))
        #expect(third == Self.t0 + .seconds(1))
        #expect(later == Self.t0 + .seconds(60))
    }
}
