/// What an audit line records. See the README's audit log section for when each is written.
package enum AuditOutcome: String, Sendable, Hashable, CaseIterable {
    /// Accepted and journaled; carries `payload` (the raw body) and `targets`.
    case received
    /// A 4xx answered to the sender (no event).
    case rejected
    /// A redelivery of a message already received.
    case duplicate
    /// A thin message folded into a fetch that was already waiting.
    case coalesced
    /// Verified, but nothing to do (an event Hookline does not apply, or no route).
    case ignored
    /// Re-queued from the log at start-up; the event's next lines follow.
    case recovered
    /// Dead or failed targets of an event queued again by `hookline redrive`; carries the payload
    /// and reopens those targets (each ends in one more terminal line).
    case redriven
    /// Hookline stopped before these targets were done; the next start picks them up.
    case pending
    /// A message id carried into a new log file at rotation, so duplicates are still recognised.
    case seen
    /// A call created something at the target whose id Hookline remembers (`ref`).
    case created
    /// A transient failure; the next attempt is scheduled (`retry_in_ms`).
    case retry
    /// What an attempt did at the target after this instance lost its lease on the job's lane
    /// (it stalled, or was cut off from the shared store): the call happened, but another
    /// instance now holds the lane and ends the job. Not terminal.
    case fenced
    /// Done at the target.
    case applied
    /// Nothing to send to the target for this event.
    case skipped
    /// A permanent error from the target.
    case failed
    /// Retries exhausted.
    case dead
    /// A target was paused (`target`, `by` whom): its jobs wait and are not attempted.
    case paused
    /// A paused target was resumed (`target`, `by` whom): its jobs run again, in order.
    case resumed
    /// A contact's personal data was erased (`hookline erase`): `contact`, `source` when one was
    /// named, `count` events, `reason`, `by` whom. The erased lines carry `erased`.
    case erased

    /// Whether this outcome ends one target's part of a received event.
    package var endsTargetJob: Bool {
        switch self {
        case .applied, .skipped, .failed, .dead: true
        default: false
        }
    }
}
