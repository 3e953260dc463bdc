#if canImport(Glibc)
import Glibc
#endif
import HooklineCore

/// The clock an instance judges its leases by: `CLOCK_BOOTTIME`, monotonic like every other
/// deadline here, and still counting while the machine is suspended (where `CLOCK_MONOTONIC`
/// stops): a laptop lid or a suspended VM must not make a lease look younger than it is.
enum LeaseClock {
    static func now() -> MonotonicTime {
        var spec = timespec()
        clock_gettime(CLOCK_BOOTTIME, &spec)
        return MonotonicTime(nanoseconds: Int64(spec.tv_sec) &* 1_000_000_000 &+ Int64(spec.tv_nsec))
    }
}
