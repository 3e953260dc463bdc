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
public struct RateLimiter: Sendable, Hashable {
    public let limit: Int
    public let period: Duration
    public let burst: Int
    private let interval: Int64
    private let tolerance: Int64
    /// The theoretical arrival time of the next call, in milliseconds.
    private var theoreticalArrival: Int64 = .min

    public init(limit: Int, period: Duration, burst: Int = 1) {
        self.limit = max(1, limit)
        self.period = period
        self.burst = min(max(1, burst), max(1, limit))
        self.interval = max(1, (period.wholeMilliseconds + Int64(max(1, limit)) - 1) / Int64(max(1, limit)))
        self.tolerance = interval * Int64(self.burst - 1)
    }

    /// Reserves the next call and returns when it may be sent (`now` if at once).
    public mutating func reserve(now: UnixTime) -> UnixTime {
        let current = now.milliseconds
        let earliest = theoreticalArrival == .min ? current : max(current, theoreticalArrival - tolerance)
        theoreticalArrival = max(theoreticalArrival == .min ? current : theoreticalArrival, current) + interval
        return UnixTime(milliseconds: earliest)
    }

    /// The target said to wait until `until` (a 429): no call before then, and no burst after.
    public mutating func pause(until: UnixTime) {
        theoreticalArrival = max(theoreticalArrival, until.milliseconds + tolerance)
    }
}
