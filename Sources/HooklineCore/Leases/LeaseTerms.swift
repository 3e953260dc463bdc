/// The terms every lease in a fleet is held on: how long a claim on a lane lasts without a
/// renewal, how often it is renewed, and how much of it a call to a target needs.
///
/// A call may start only while the lease has more than the call's timeout plus `margin` left, by
/// the instance's own clock since the claim or renewal was *sent*: the database set the lease's
/// end after that, so the instance never believes in more lease than the database granted. The
/// call is over (answered, or abandoned at its timeout) at least `margin` before the lease ends,
/// and another instance can take the lane only after it ends, by the database's clock. The margin
/// absorbs the two clocks running at slightly different rates and a late timer.
package struct LeaseTerms: Sendable, Hashable {
    /// How long a claim survives without a renewal (`store.lease`).
    package var lease: Duration
    /// Lease that must be left when a call's timeout is up.
    package var margin: Duration

    /// The margin unless configured otherwise: far above clock-rate differences (a few
    /// milliseconds over a minute) and timer latency.
    package static let defaultMargin: Duration = .seconds(1)

    package init(lease: Duration, margin: Duration = LeaseTerms.defaultMargin) {
        self.lease = lease
        self.margin = margin
    }

    /// Leases are renewed this often: a quarter of the lease, so a live instance's leases always
    /// have three quarters of their length left, less a renewal's round trip.
    package var renewalInterval: Duration { lease / 4 }

    /// The lease a call with `timeout` needs left before it may start.
    package func needed(forCallOf timeout: Duration) -> Duration { timeout + margin }

    /// The shortest lease on which a call with `timeout` can start at any moment between two
    /// renewals: three quarters of it must cover the timeout and the margin.
    package static func shortestLease(covering timeout: Duration, margin: Duration = defaultMargin) -> Duration {
        let needed = max(0, (timeout + margin).wholeNanoseconds)
        let (whole, overflow) = (needed / 3).multipliedReportingOverflow(by: 4)
        guard !overflow, whole < .max - 1_000_003 else { return .nanoseconds(Int64.max) }
        // ⌈needed × 4/3⌉, rounded up to the next millisecond so the figure a person reads is enough.
        let nanoseconds = whole + (needed % 3 * 4 + 2) / 3
        return .milliseconds((nanoseconds + 999_999) / 1_000_000)
    }
}
