import HooklineCore

/// A leaky bucket of `capacity` calls draining at `capacity / period`: Buildr's documented limit.
struct SandboxLeakyBucket: Sendable {
    let capacity: Double
    let drainPerSecond: Double
    private var level = 0.0
    private var updatedAt = ContinuousClock.now

    init(capacity: Int, period: Duration) {
        self.capacity = Double(capacity)
        self.drainPerSecond = Double(capacity) / period.secondsValue
    }

    /// Takes a slot; when full, returns the seconds until one frees.
    mutating func take(now: ContinuousClock.Instant = .now) -> Double? {
        let elapsed = (now - updatedAt).secondsValue
        level = max(0, level - elapsed * drainPerSecond)
        updatedAt = now
        guard level + 1 <= capacity + 1e-9 else {
            return (level + 1 - capacity) / drainPerSecond
        }
        level += 1
        return nil
    }
}

/// A fixed window of `limit` requests per `period`: Plannr's documented limit.
struct SandboxFixedWindow: Sendable {
    let limit: Int
    let period: Duration
    private var windowStart = ContinuousClock.now
    private var used = 0

    init(limit: Int, period: Duration) {
        self.limit = limit
        self.period = period
    }

    /// Takes a slot: the requests left after this one, or nil and the seconds until the window resets.
    mutating func take(now: ContinuousClock.Instant = .now) -> (remaining: Int?, resetIn: Double) {
        if now - windowStart >= period {
            windowStart = now
            used = 0
        }
        let resetIn = (period - (now - windowStart)).secondsValue
        guard used < limit else { return (nil, resetIn) }
        used += 1
        return (limit - used, resetIn)
    }
}
