/// A client-side limit of `limit` calls per `period` to one target, as a generic cell rate
/// algorithm: a full bucket allows a burst of `limit`, after which calls are spaced evenly.
///
/// Callers *reserve* a slot and are told when it is theirs, so a burst of jobs is smoothed into
/// the target's rate instead of bounced by its 429s.
public struct RateLimiter: Sendable, Hashable {
    public let limit: Int
    public let period: Duration
    private let interval: Int64
    private let tolerance: Int64
    /// The theoretical arrival time of the next call, in milliseconds.
    private var theoreticalArrival: Int64 = .min

    public init(limit: Int, period: Duration) {
        self.limit = max(1, limit)
        self.period = period
        self.interval = max(1, period.wholeMilliseconds / Int64(max(1, limit)))
        self.tolerance = interval * Int64(max(1, limit) - 1)
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
