/// A client-side limit of `limit` calls per `period` to one target, as a generic cell rate
/// algorithm: up to `burst` calls at once, then calls spaced evenly at `period / limit`.
///
/// Pick `burst` for the target's own algorithm. Against a leaky bucket of capacity `limit`
/// (Buildr), `limit - 1` keeps one call of headroom, so a call reserved on time but sent late
/// (a token fetch, a new connection) does not overflow it. Against a fixed or sliding window
/// (Plannr's "500 a minute"), `1` — evenly spaced — never puts more than `limit` in any period.
///
/// Callers *reserve* a slot and are told when it is theirs, so a burst of jobs is smoothed into
/// the target's rate instead of bounced by its 429s.
package struct RateLimiter: Sendable, Hashable {
    package let limit: Int
    package let period: Duration
    package let burst: Int
    /// Nanoseconds between calls, and how far ahead of its theoretical time a call may go.
    private let interval: Int64
    private let tolerance: Int64
    /// The theoretical arrival time of the next call, on the monotonic clock.
    private var theoreticalArrival: Int64 = .min
    /// The end of the last pause the target asked for: slots reserved before it are void until then.
    package private(set) var pausedUntil: MonotonicTime?

    package init(limit: Int, period: Duration, burst: Int = 1) {
        self.limit = max(1, limit)
        self.period = period
        self.burst = min(max(1, burst), max(1, limit))
        self.interval = max(1, (period.wholeNanoseconds + Int64(max(1, limit)) - 1) / Int64(max(1, limit)))
        self.tolerance = interval * Int64(self.burst - 1)
    }

    /// Reserves the next call and returns when it may be sent (`now` if at once).
    package mutating func reserve(now: MonotonicTime) -> MonotonicTime {
        let current = now.nanoseconds
        let earliest = theoreticalArrival == .min ? current : max(current, theoreticalArrival - tolerance)
        theoreticalArrival = max(theoreticalArrival == .min ? current : theoreticalArrival, current) + interval
        return MonotonicTime(nanoseconds: earliest)
    }

    /// The target said to wait until `until` (a 429): no call before then, and no burst after.
    package mutating func pause(until: MonotonicTime) {
        theoreticalArrival = max(theoreticalArrival, until.nanoseconds + tolerance)
        pausedUntil = max(pausedUntil ?? until, until)
    }
}
