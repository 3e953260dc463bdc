/// The message ids seen recently, bounded by count and by age, so a sender's redelivery is
/// answered `duplicate` instead of applied twice.
///
/// An entry is *pending* from the moment a message passes verification until its `received`
/// line is durable; a redelivery racing the original sees it pending and is asked to retry,
/// so Hookline never answers 2xx for a message it might still lose.
///
/// Entries live in a ring in the order they were inserted (the oldest leaves first), found
/// through an open-addressing index of 8-byte buckets. The ring fills its storage in order, so
/// memory is touched page by page as the window fills and reused once it is full; the index is
/// small enough to size once. (A `Dictionary` sized for a full window up front was 48 bytes a
/// bucket, touched at random: the first inserts each faulted in a fresh page.)
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

    /// One insert, in ring order. A slot whose key was removed or inserted again stays in the
    /// ring (it still counts towards `maximumEntries` until it leaves) but not in the index.
    private struct Slot: Sendable {
        var key: MessageKey
        var entry: Entry
        var hash: UInt32
        var live: Bool
    }

    package let maximumEntries: Int
    package let maximumAge: Duration
    /// The ring's storage: appended to until it holds `capacity` slots, then reused in place.
    private var slots: [Slot] = []
    private var capacity: Int
    /// The position of the oldest slot, and how many slots the ring holds (live or not).
    private var head = 0
    private var used = 0
    /// The index: 0 is an empty bucket, else the key's hash in the high half and its slot's
    /// position + 1 in the low half. Linear probing, at most half full. Sized for the ring's
    /// capacity up front, and resident only as buckets are used.
    private var buckets: ZeroedWords
    private var live = 0

    /// `preparedSlots` is how many slots the ring's storage is sized for up front; it grows past
    /// that only for windows configured larger.
    package init(maximumEntries: Int = 100_000, maximumAge: Duration = .seconds(86_400), preparedSlots: Int = 1 << 20) {
        self.maximumEntries = max(1, maximumEntries)
        self.maximumAge = maximumAge
        capacity = min(self.maximumEntries, max(1, preparedSlots))
        slots.reserveCapacity(capacity)
        buckets = Self.emptyBuckets(for: capacity)
    }

    /// Message ids in the window.
    package var count: Int { live }

    /// The entry for `key`, if it is still inside the window at `now`.
    package mutating func lookup(_ key: MessageKey, now: UnixTime) -> Entry? {
        evict(now: now)
        return find(key, hash: Self.hash(key)).map { slots[$0.position].entry }
    }

    /// Records `key` as seen at `seenAt` (pending until `commit`).
    package mutating func insert(_ key: MessageKey, eventID: String, seenAt: UnixTime, committed: Bool = false) {
        let hash = Self.hash(key)
        if let found = find(key, hash: hash) { unlink(bucket: found.bucket, position: found.position) }
        while used >= maximumEntries { dropOldest() }
        if used == capacity { grow() }
        let position = (head + used) % capacity
        let slot = Slot(key: key, entry: Entry(eventID: eventID, seenAt: seenAt, committed: committed), hash: hash, live: true)
        if position == slots.count { slots.append(slot) } else { slots[position] = slot }
        used += 1
        link(hash: hash, position: position)
        evict(now: seenAt)
    }

    /// Marks `key` durable: later deliveries are duplicates.
    package mutating func commit(_ key: MessageKey) {
        guard let found = find(key, hash: Self.hash(key)) else { return }
        slots[found.position].entry.committed = true
    }

    /// Forgets `key` (its delivery was not journaled, so a redelivery must be accepted).
    package mutating func remove(_ key: MessageKey) {
        guard let found = find(key, hash: Self.hash(key)) else { return }
        unlink(bucket: found.bucket, position: found.position)
    }

    private mutating func evict(now: UnixTime) {
        let oldest = now - maximumAge
        while used > 0, used > maximumEntries || slots[head].entry.seenAt < oldest { dropOldest() }
    }

    private mutating func dropOldest() {
        if slots[head].live, let bucket = bucket(of: head) { unlink(bucket: bucket, position: head) }
        head = (head + 1) % capacity
        used -= 1
    }

    // MARK: The index

    private static func hash(_ key: MessageKey) -> UInt32 {
        var hasher = Hasher()
        hasher.combine(key)
        return UInt32(truncatingIfNeeded: hasher.finalize())
    }

    private static func emptyBuckets(for slots: Int) -> ZeroedWords {
        var count = 16
        while count < 2 * slots { count <<= 1 }
        return ZeroedWords(count: count)
    }

    /// Copies the index before writing to it if another copy of this window shares it.
    private mutating func uniqueBuckets() {
        if !isKnownUniquelyReferenced(&buckets) { buckets = buckets.copy() }
    }

    private var mask: Int { buckets.count - 1 }

    private static func home(_ bucket: UInt64, mask: Int) -> Int { Int(truncatingIfNeeded: bucket >> 32) & mask }

    private static func position(_ bucket: UInt64) -> Int { Int(truncatingIfNeeded: bucket & 0xFFFF_FFFF) - 1 }

    /// The bucket and slot of the live entry for `key`.
    private func find(_ key: MessageKey, hash: UInt32) -> (bucket: Int, position: Int)? {
        var index = Int(hash) & mask
        while true {
            let bucket = buckets[index]
            if bucket == 0 { return nil }
            if UInt32(truncatingIfNeeded: bucket >> 32) == hash {
                let position = Self.position(bucket)
                if slots[position].key == key { return (index, position) }
            }
            index = (index + 1) & mask
        }
    }

    /// The bucket pointing at the live slot at `position`.
    private func bucket(of position: Int) -> Int? {
        var index = Int(slots[position].hash) & mask
        while true {
            let bucket = buckets[index]
            if bucket == 0 { return nil }
            if Self.position(bucket) == position { return index }
            index = (index + 1) & mask
        }
    }

    private mutating func link(hash: UInt32, position: Int) {
        uniqueBuckets()
        var index = Int(hash) & mask
        while buckets[index] != 0 { index = (index + 1) & mask }
        buckets[index] = UInt64(hash) << 32 | UInt64(position + 1)
        live += 1
    }

    /// Takes the entry out of the index (shifting later buckets of its probe run back, so no
    /// lookup ever stops early) and marks its slot dead, letting go of its strings.
    private mutating func unlink(bucket: Int, position: Int) {
        uniqueBuckets()
        let mask = mask
        var hole = bucket
        var index = bucket
        while true {
            index = (index + 1) & mask
            let moving = buckets[index]
            if moving == 0 { break }
            let home = Self.home(moving, mask: mask)
            // It stays when its home lies cyclically in (hole, index]: the hole is not on its path.
            let stays = hole <= index ? (hole < home && home <= index) : (hole < home || home <= index)
            if !stays {
                buckets[hole] = moving
                hole = index
            }
        }
        buckets[hole] = 0
        slots[position].live = false
        slots[position].key = MessageKey(source: "", messageID: "")
        slots[position].entry.eventID = ""
        live -= 1
    }

    /// Doubles the ring (only for windows larger than the slots prepared): its slots move to the
    /// front of new storage, oldest first, and the index is rebuilt for their new positions.
    private mutating func grow() {
        let larger = min(capacity * 2, maximumEntries)
        var moved: [Slot] = []
        moved.reserveCapacity(larger)
        for offset in 0..<used { moved.append(slots[(head + offset) % capacity]) }
        slots = moved
        capacity = larger
        head = 0
        buckets = Self.emptyBuckets(for: capacity)
        live = 0
        for position in slots.indices where slots[position].live { link(hash: slots[position].hash, position: position) }
    }
}
