/// Counts over a sliding window in a fixed number of buckets: a rule that looks at the last ten
/// minutes holds 60 small counters per target, however many attempts arrive. A count is exact to
/// one bucket's width (a sixtieth of the window) at the window's far edge.
package struct WindowCount: Sendable, Hashable {
    package static let buckets = 60

    private struct Bucket: Sendable, Hashable {
        var index: Int64 = .min
        var total = 0
        var marked = 0
    }

    private let width: Int64
    private var ring: [Bucket]

    package init(over window: Duration) {
        width = max(1, window.wholeNanoseconds / Int64(Self.buckets))
        ring = Array(repeating: Bucket(), count: Self.buckets)
    }

    /// Counts one at `now`; `marked` counts it among the marked too (a failure among attempts).
    package mutating func add(marked: Bool = false, now: MonotonicTime) {
        let index = now.nanoseconds / width
        let slot = Int(index % Int64(Self.buckets))
        if ring[slot].index != index { ring[slot] = Bucket(index: index) }
        ring[slot].total += 1
        if marked { ring[slot].marked += 1 }
    }

    /// What was counted within the window ending at `now`: all, and the marked ones.
    package func counts(now: MonotonicTime) -> (total: Int, marked: Int) {
        let newest = now.nanoseconds / width
        var total = 0
        var marked = 0
        for bucket in ring where bucket.index > newest - Int64(Self.buckets) && bucket.index <= newest {
            total += bucket.total
            marked += bucket.marked
        }
        return (total, marked)
    }
}
