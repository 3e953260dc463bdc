#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A wall-clock instant in milliseconds since 1970-01-01 UTC.
///
/// `HooklineCore` never reads the clock itself: callers pass instants in, so logic that depends
/// on time (tolerances, backoff, dedup windows) is tested with fixed values.
package struct UnixTime: Sendable, Hashable, Comparable, CustomStringConvertible {
    package var milliseconds: Int64

    package init(milliseconds: Int64) { self.milliseconds = milliseconds }
    package init(seconds: Int64) { self.milliseconds = seconds &* 1000 }

    /// Whole seconds, rounded down.
    package var seconds: Int64 { milliseconds >= 0 ? milliseconds / 1000 : (milliseconds - 999) / 1000 }

    /// The current wall-clock time. Only the server and the CLI call this.
    package static func now() -> UnixTime {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        return UnixTime(milliseconds: Int64(spec.tv_sec) * 1000 + Int64(spec.tv_nsec) / 1_000_000)
    }

    package static func < (lhs: UnixTime, rhs: UnixTime) -> Bool { lhs.milliseconds < rhs.milliseconds }

    package static func + (lhs: UnixTime, rhs: Duration) -> UnixTime {
        UnixTime(milliseconds: lhs.milliseconds &+ rhs.wholeMilliseconds)
    }

    package static func - (lhs: UnixTime, rhs: Duration) -> UnixTime {
        UnixTime(milliseconds: lhs.milliseconds &- rhs.wholeMilliseconds)
    }

    /// The time from `other` to `self`.
    package func since(_ other: UnixTime) -> Duration { .milliseconds(milliseconds &- other.milliseconds) }

    package var description: String { rfc3339 }
}

extension Duration {
    /// The duration in whole milliseconds, rounded toward zero.
    package var wholeMilliseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds &* 1000 &+ attoseconds / 1_000_000_000_000_000
    }

    /// The duration in seconds as a floating-point number.
    package var secondsValue: Double {
        let (seconds, attoseconds) = components
        return Double(seconds) + Double(attoseconds) / 1e18
    }
}
