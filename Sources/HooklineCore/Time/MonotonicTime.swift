#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// An instant on the monotonic clock, in nanoseconds since an arbitrary start (boot): what every
/// retry, rate-limit and timeout deadline is measured on, so a step of the system clock moves
/// none of them. The wall clock (`UnixTime`) is for the timestamps people read.
///
/// Like `UnixTime`, `HooklineCore` never reads it: callers pass instants in, and tests use fixed ones.
package struct MonotonicTime: Sendable, Hashable, Comparable, CustomStringConvertible {
    package var nanoseconds: Int64

    package init(nanoseconds: Int64) { self.nanoseconds = nanoseconds }

    /// The current monotonic instant (`CLOCK_MONOTONIC`, the clock NIO's deadlines use). Only
    /// the server and the CLI call this.
    package static func now() -> MonotonicTime {
        var spec = timespec()
        clock_gettime(CLOCK_MONOTONIC, &spec)
        return MonotonicTime(nanoseconds: Int64(spec.tv_sec) &* 1_000_000_000 &+ Int64(spec.tv_nsec))
    }

    package static func < (lhs: MonotonicTime, rhs: MonotonicTime) -> Bool { lhs.nanoseconds < rhs.nanoseconds }

    package static func + (lhs: MonotonicTime, rhs: Duration) -> MonotonicTime {
        MonotonicTime(nanoseconds: lhs.nanoseconds &+ rhs.wholeNanoseconds)
    }

    package static func - (lhs: MonotonicTime, rhs: Duration) -> MonotonicTime {
        MonotonicTime(nanoseconds: lhs.nanoseconds &- rhs.wholeNanoseconds)
    }

    /// The time from `other` to `self`.
    package func since(_ other: MonotonicTime) -> Duration { .nanoseconds(nanoseconds &- other.nanoseconds) }

    /// The monotonic instant that corresponds to a wall-clock time read from the audit log, as
    /// seen at the pair (`now`, `wallNow`): how long ago it was, on today's clock.
    package static func instant(of time: UnixTime, now: MonotonicTime, wallNow: UnixTime) -> MonotonicTime {
        now - wallNow.since(time)
    }

    package var description: String { "\(nanoseconds)ns" }
}

extension Duration {
    /// The duration in whole nanoseconds, saturating.
    package var wholeNanoseconds: Int64 {
        let (seconds, attoseconds) = components
        let (scaled, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        if overflow { return seconds < 0 ? .min : .max }
        return scaled &+ attoseconds / 1_000_000_000
    }
}
