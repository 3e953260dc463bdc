import HooklineCore
import Synchronization

/// A target's client-side call rate, shared by everything that calls it: in memory for one
/// Hookline (`LocalRateLimiter`), in the database for a fleet (`PostgresRateLimiter`), so a
/// target's limit holds however many instances call it.
package protocol TargetRateLimiter: Sendable {
    /// Reserves the next `count` call slots at `now`: when each may be sent.
    func reserve(_ count: Int, now: MonotonicTime) async throws(JournalFailure) -> [MonotonicTime]
    /// The target said to wait (a 429): no call before `until`.
    func pause(until: MonotonicTime, now: MonotonicTime) async
    /// The end of the target's last pause, if any: a slot reserved before a pause is void until then.
    func pausedUntil(now: MonotonicTime) async throws(JournalFailure) -> MonotonicTime?
}

/// The GCRA of one process.
package final class LocalRateLimiter: TargetRateLimiter {
    private let limiter: Mutex<RateLimiter>

    package init(_ settings: RateLimitSettings) {
        limiter = Mutex(RateLimiter(limit: settings.requests, period: settings.period, burst: settings.burst))
    }

    package func reserve(_ count: Int, now: MonotonicTime) async throws(JournalFailure) -> [MonotonicTime] {
        limiter.withLock { limiter in (0..<count).map { _ in limiter.reserve(now: now) } }
    }

    package func pause(until: MonotonicTime, now: MonotonicTime) async {
        limiter.withLock { $0.pause(until: until) }
    }

    package func pausedUntil(now: MonotonicTime) async throws(JournalFailure) -> MonotonicTime? {
        limiter.withLock { $0.pausedUntil }
    }
}
