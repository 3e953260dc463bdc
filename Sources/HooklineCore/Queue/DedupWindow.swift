import DequeModule

/// The message ids seen recently, bounded by count and by age, so a sender's redelivery is
/// answered `duplicate` instead of applied twice.
///
/// An entry is *pending* from the moment a message passes verification until its `received`
/// line is durable; a redelivery racing the original sees it pending and is asked to retry,
/// so Hookline never answers 2xx for a message it might still lose.
package struct DedupWindow: Sendable {
    package struct Entry: Sendable, Hashable {
        /// The event the first delivery became.
        package var eventID: String
        package var seenAt: UnixTime
        /// Whether the first delivery's `received` line is durable.
        package var committed: Bool

        package init(eventID: String, seenAt: UnixTime, committed: Bool) {
            self.eventID = eventID
            self.seenAt = seenAt
            self.committed = committed
        }
    }

    package let maximumEntries: Int
    package let maximumAge: Duration
    private var entries: [String: Entry] = [:]
    private var order: Deque<(key: String, seenAt: UnixTime)> = []

    package init(maximumEntries: Int = 100_000, maximumAge: Duration = .seconds(86_400)) {
        self.maximumEntries = max(1, maximumEntries)
        self.maximumAge = maximumAge
        // Sized for a full window up front: growing it rehashes every key at once, a pause of
        // milliseconds on the event loop at 65k or 131k entries. The table a full window needs
        // anyway; its pages are only resident once used.
        entries.reserveCapacity(min(self.maximumEntries + 1, 1 << 20))
    }

    /// The key for a message id from a source.
    package static func key(source: String, messageID: String) -> String { "\(source)\u{1F}\(messageID)" }

    package var count: Int { entries.count }

    /// The entry for `key`, if it is still inside the window at `now`.
    package mutating func lookup(_ key: String, now: UnixTime) -> Entry? {
        evict(now: now)
        return entries[key]
    }

    /// Records `key` as seen at `seenAt` (pending until `commit`).
    package mutating func insert(_ key: String, eventID: String, seenAt: UnixTime, committed: Bool = false) {
        entries[key] = Entry(eventID: eventID, seenAt: seenAt, committed: committed)
        order.append((key, seenAt))
        evict(now: seenAt)
    }

    /// Marks `key` durable: later deliveries are duplicates.
    package mutating func commit(_ key: String) {
        // Read and write back rather than `entries[key]?.committed = true`: the optional-chained
        // modify runs three nested coroutines whose frames are allocated, per call.
        guard var entry = entries[key] else { return }
        entry.committed = true
        entries.updateValue(entry, forKey: key)
    }

    /// Forgets `key` (its delivery was not journaled, so a redelivery must be accepted).
    package mutating func remove(_ key: String) {
        entries[key] = nil
    }

    private mutating func evict(now: UnixTime) {
        let oldest = now - maximumAge
        while let first = order.first, order.count > maximumEntries || first.seenAt < oldest {
            order.removeFirst()
            // Only drop the entry if it is the one this order slot recorded (not re-inserted since).
            if let entry = entries[first.key], entry.seenAt == first.seenAt {
                entries[first.key] = nil
            }
        }
    }
}
