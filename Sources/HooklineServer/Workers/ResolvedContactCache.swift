import DequeModule
import HooklineCore
import Synchronization

/// Contacts fetched for thin deliveries, by event: one GET serves all of an event's targets.
/// While one job fetches, the event's other jobs wait for its result instead of fetching too.
/// Bounded; an evicted entry is simply fetched again.
final class ResolvedContactCache: Sendable {
    private struct Entries: Sendable {
        var patches: [String: ContactPatch] = [:]
        var order: Deque<String> = []
        /// Events being fetched, with the jobs waiting for the result.
        var fetching: [String: [CheckedContinuation<Void, Never>]] = [:]
    }

    /// What a job should do about an event's contact.
    enum Claim: Sendable {
        /// Already fetched.
        case cached(ContactPatch)
        /// This job fetches it and must call `complete` afterwards, fetched or not.
        case fetch
    }

    private let entries = Mutex(Entries())
    private let capacity: Int

    init(capacity: Int = 10_000) {
        self.capacity = capacity
    }

    /// The fetched contact, or the right to fetch it (waiting while another job does).
    func claim(_ eventID: String) async -> Claim {
        while true {
            enum Step { case done(Claim), wait }
            let step = entries.withLock { entries -> Step in
                if let patch = entries.patches[eventID] { return .done(.cached(patch)) }
                if entries.fetching[eventID] == nil {
                    entries.fetching[eventID] = []
                    return .done(.fetch)
                }
                return .wait
            }
            if case .done(let claim) = step { return claim }
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let resumeNow = entries.withLock { entries -> Bool in
                    guard entries.fetching[eventID] != nil else { return true }
                    entries.fetching[eventID]?.append(continuation)
                    return false
                }
                if resumeNow { continuation.resume() }
            }
        }
    }

    /// Ends a `.fetch` claim: stores the contact (nil when the fetch did not succeed, so a
    /// waiting job claims it next) and wakes the waiters.
    func complete(_ eventID: String, with patch: ContactPatch?) {
        let waiters = entries.withLock { entries -> [CheckedContinuation<Void, Never>] in
            if let patch, entries.patches.updateValue(patch, forKey: eventID) == nil {
                entries.order.append(eventID)
                while entries.order.count > capacity, let oldest = entries.order.popFirst() {
                    entries.patches[oldest] = nil
                }
            }
            return entries.fetching.removeValue(forKey: eventID) ?? []
        }
        for waiter in waiters { waiter.resume() }
    }
}
