import HooklineCore
import Synchronization

/// What a message id's first sight means for this delivery.
public enum DedupClaim: Sendable, Hashable {
    /// Never seen: this delivery is the one to process.
    case new
    /// Seen and journaled: answer `duplicate`.
    case duplicate(eventID: String)
    /// Seen but not yet journaled (another connection is accepting it): ask the sender to retry.
    case inProgress(eventID: String)
}

/// Remembers message ids across deliveries. The single-machine default is in memory; a shared
/// store (PostgreSQL) is one more implementation.
public protocol DedupStore: Sendable {
    /// Claims `key` for `eventID` at `now`, or reports who has it.
    func claim(_ key: String, eventID: String, now: UnixTime) -> DedupClaim
    /// The claimed delivery is journaled.
    func confirm(_ key: String)
    /// The claimed delivery was not journaled: forget it so a redelivery is accepted.
    func release(_ key: String)
    /// Restores a delivery read back from the audit log at start-up.
    func restore(_ key: String, eventID: String, seenAt: UnixTime)
}

/// The in-memory dedup window.
public final class InMemoryDedupStore: DedupStore {
    private let window: Mutex<DedupWindow>

    public init(maximumEntries: Int, maximumAge: Duration) {
        window = Mutex(DedupWindow(maximumEntries: maximumEntries, maximumAge: maximumAge))
    }

    public func claim(_ key: String, eventID: String, now: UnixTime) -> DedupClaim {
        window.withLock { window in
            if let entry = window.lookup(key, now: now) {
                return entry.committed ? .duplicate(eventID: entry.eventID) : .inProgress(eventID: entry.eventID)
            }
            window.insert(key, eventID: eventID, seenAt: now)
            return .new
        }
    }

    public func confirm(_ key: String) { window.withLock { $0.commit(key) } }

    public func release(_ key: String) { window.withLock { $0.remove(key) } }

    public func restore(_ key: String, eventID: String, seenAt: UnixTime) {
        window.withLock { $0.insert(key, eventID: eventID, seenAt: seenAt, committed: true) }
    }
}
