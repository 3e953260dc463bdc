/// How each target has been doing: its terminal outcomes in minute buckets over the last day,
/// and when it last applied an event. A pure value, fed each job's end and read for the
/// console's targets page; 1,440 buckets a target.
package struct TargetHealthBook: Sendable {
    private struct Bucket: Sendable {
        var minute: Int64 = -1
        var applied: Int32 = 0
        var ended: Int32 = 0
    }

    private struct Target: Sendable {
        var buckets = [Bucket](repeating: Bucket(), count: TargetHealthBook.minutes)
        var lastApplied: UnixTime?

        mutating func record(applied: Bool, at: UnixTime) {
            let minute = at.milliseconds / 60_000
            let slot = Int(((minute % Int64(TargetHealthBook.minutes)) + Int64(TargetHealthBook.minutes)) % Int64(TargetHealthBook.minutes))
            if buckets[slot].minute != minute {
                // An older minute's bucket is reused; a record older than the bucket's is dropped.
                guard buckets[slot].minute < minute else { return }
                buckets[slot] = Bucket(minute: minute)
            }
            buckets[slot].ended += 1
            if applied {
                buckets[slot].applied += 1
                if lastApplied.map({ $0 < at }) ?? true { lastApplied = at }
            }
        }
    }

    static let minutes = 1440
    private var targets_: [String: Target] = [:]

    package init() {}

    /// A job at `target` ended at `at`: `applied`, or `failed`/`dead` (anything else is not a
    /// delivery's end and is ignored).
    package mutating func record(target: String, outcome: AuditOutcome, at: UnixTime) {
        guard outcome == .applied || outcome == .failed || outcome == .dead else { return }
        // In place: the day's buckets are not copied for a record.
        targets_[target, default: Target()].record(applied: outcome == .applied, at: at)
    }

    /// The targets with a record.
    package var targets: [String] { Array(targets_.keys) }

    /// Adds `other`'s records (a count of what was in the log before this book began).
    package mutating func merge(_ other: TargetHealthBook) {
        for (name, theirs) in other.targets_ {
            var entry = targets_[name] ?? Target()
            for (slot, bucket) in theirs.buckets.enumerated() where bucket.minute >= 0 {
                if entry.buckets[slot].minute == bucket.minute {
                    entry.buckets[slot].applied += bucket.applied
                    entry.buckets[slot].ended += bucket.ended
                } else if entry.buckets[slot].minute < bucket.minute {
                    entry.buckets[slot] = bucket
                }
            }
            if let last = theirs.lastApplied, entry.lastApplied.map({ $0 < last }) ?? true { entry.lastApplied = last }
            targets_[name] = entry
        }
    }

    /// `target`'s figures as of `now`.
    package func health(of target: String, now: UnixTime) -> TargetHealth {
        guard let entry = targets_[target] else { return TargetHealth() }
        let current = now.milliseconds / 60_000
        var health = TargetHealth(lastApplied: entry.lastApplied)
        for bucket in entry.buckets where bucket.minute >= 0 && bucket.minute <= current {
            let age = current - bucket.minute
            if age < 60 {
                health.hour.applied += Int(bucket.applied)
                health.hour.ended += Int(bucket.ended)
            }
            if age < Int64(Self.minutes) {
                health.day.applied += Int(bucket.applied)
                health.day.ended += Int(bucket.ended)
            }
        }
        return health
    }
}

/// One target's figures for the console.
package struct TargetHealth: Sendable, Hashable {
    /// Jobs ended and jobs applied over a window.
    package struct Window: Sendable, Hashable {
        package var applied = 0
        package var ended = 0

        package init(applied: Int = 0, ended: Int = 0) {
            self.applied = applied
            self.ended = ended
        }

        /// The share applied, nil when none ended.
        package var successRate: Double? { ended > 0 ? Double(applied) / Double(ended) : nil }
    }

    package var hour = Window()
    package var day = Window()
    package var lastApplied: UnixTime?
    /// Jobs not finished, and when the oldest one's event was received.
    package var waiting = 0
    package var oldestWaiting: UnixTime?

    package init(hour: Window = Window(), day: Window = Window(), lastApplied: UnixTime? = nil, waiting: Int = 0, oldestWaiting: UnixTime? = nil) {
        self.hour = hour
        self.day = day
        self.lastApplied = lastApplied
        self.waiting = waiting
        self.oldestWaiting = oldestWaiting
    }
}
