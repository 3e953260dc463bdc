import HooklineCore
import Testing

@Suite("job queue")
struct LaneQueueTests {
    static let t0 = MonotonicTime(nanoseconds: 1_000_000_000_000)
    static let wall = UnixTime(seconds: 1_700_000_000)

    static func job(_ id: String, contact: String, target: String = "buildr", reference: Bool = false) -> Job {
        let subject: ContactSubject = reference ? .reference(ContactReference(id: contact)) : .patch(ContactPatch())
        let event = ContactEvent(
            id: id, messageID: nil, source: "standard", type: "contact.updated", kind: .updated,
            receivedAt: wall, contactID: contact, contact: subject)
        let key = reference ? Job.coalescingKey(source: "standard", contactID: contact, targets: [target]) : nil
        return Job(event: event, route: Route(source: "standard", target: target), coalescingKey: key)
    }

    @Test("one contact's jobs run one at a time, in order")
    func fifoPerLane() {
        var queue = LaneQueue(capacity: 10)
        for id in ["e1", "e2", "e3"] {
            let added = queue.enqueue(Self.job(id, contact: "c1"))
            #expect(added)
        }
        let first = queue.next(now: Self.t0)
        #expect(first?.event.id == "e1")
        let blocked = queue.next(now: Self.t0)
        #expect(blocked == nil)
        if let first { queue.finish(first) }
        let second = queue.next(now: Self.t0)
        #expect(second?.event.id == "e2")
    }

    @Test("different contacts and different targets proceed in parallel")
    func lanesInParallel() {
        var queue = LaneQueue(capacity: 10)
        _ = queue.enqueue(Self.job("e1", contact: "c1"))
        _ = queue.enqueue(Self.job("e2", contact: "c1"))
        _ = queue.enqueue(Self.job("e3", contact: "c2"))
        _ = queue.enqueue(Self.job("e1", contact: "c1", target: "plannr"))
        let taken = [queue.next(now: Self.t0), queue.next(now: Self.t0), queue.next(now: Self.t0), queue.next(now: Self.t0)]
        #expect(taken.compactMap { $0.map { "\($0.target):\($0.event.id)" } } == ["buildr:e1", "buildr:e3", "plannr:e1"])
        #expect(queue.inFlight == 3)
    }

    @Test("two source contacts that a field route sends to one target contact share its lane")
    func laneFollowsTheTargetContact() {
        let route = Route(source: "standard", target: "plannr", contactID: .field("custom_fields.plannr_account_uuid"))
        func job(_ id: String, contact: String, account: String?) -> Job {
            var patch = ContactPatch()
            patch.email = .set("\(id)@example.com")
            if let account { patch.customFields = ["plannr_account_uuid": .set(.string(account))] }
            let event = ContactEvent(
                id: id, messageID: nil, source: "standard", type: "contact.updated", kind: .updated,
                receivedAt: Self.wall, contactID: contact, contact: .inJournal)
            return Job(event: event, route: route, targetContact: Job.targetContact(route: route, subject: .patch(patch)))
        }
        var queue = LaneQueue(capacity: 10)
        _ = queue.enqueue(job("e1", contact: "m1", account: "acct-1"))
        _ = queue.enqueue(job("e2", contact: "m2", account: "acct-1"))
        _ = queue.enqueue(job("e3", contact: "m3", account: "acct-2"))
        _ = queue.enqueue(job("e4", contact: "m4", account: nil))
        let taken = [queue.next(now: Self.t0), queue.next(now: Self.t0), queue.next(now: Self.t0), queue.next(now: Self.t0)]
        let running = taken.compactMap { $0 }
        #expect(running.map(\.event.id) == ["e1", "e3", "e4"], "e2 waits behind e1: the same Plannr account")
        #expect(running.first?.lane.description == "plannr:acct-1")
        #expect(running.last?.lane.description == "plannr/standard:m4", "without the field, the source contact's lane")
    }

    @Test("capacity is all-or-nothing and counts in-flight jobs")
    func capacity() {
        var queue = LaneQueue(capacity: 3)
        let two = queue.reserve(2)
        let twoMore = queue.reserve(2)
        let one = queue.reserve(1)
        #expect(two && !twoMore && one)
        queue.cancelReservation(1)
        queue.enqueue(reserved: Self.job("e1", contact: "c1"))
        queue.enqueue(reserved: Self.job("e2", contact: "c2"))
        let job = queue.next(now: Self.t0)
        #expect(queue.count == 2)
        #expect(queue.depth == 1)
        if let job { queue.finish(job) }
        #expect(queue.count == 1)
    }

    @Test("a parked job holds its lane until its time, without holding other lanes")
    func parking() throws {
        var queue = LaneQueue(capacity: 10)
        _ = queue.enqueue(Self.job("e1", contact: "c1"))
        _ = queue.enqueue(Self.job("e2", contact: "c1"))
        _ = queue.enqueue(Self.job("e3", contact: "c2"))
        let taken = queue.next(now: Self.t0)
        let first = try #require(taken)
        queue.park(first, until: Self.t0 + .seconds(2))
        #expect(queue.nextDeadline == Self.t0 + .seconds(2))
        let other = queue.next(now: Self.t0)
        #expect(other?.event.id == "e3")
        let early = queue.next(now: Self.t0 + .milliseconds(1999))
        #expect(early == nil)
        let due = queue.next(now: Self.t0 + .seconds(2))
        #expect(due?.event.id == "e1")
    }

    @Test("a thin reference waits to be fetched until a worker takes it")
    func coalescing() throws {
        var queue = LaneQueue(capacity: 10)
        let coalescingKey = Self.job("e1", contact: "144", reference: true).coalescingKey
        let key = try #require(coalescingKey)
        _ = queue.enqueue(Self.job("e1", contact: "144", reference: true))
        #expect(queue.waitingFetch(for: key) == "e1")
        _ = queue.next(now: Self.t0)
        #expect(queue.waitingFetch(for: key) == nil)
        #expect(Self.job("e9", contact: "144").coalescingKey == nil)
    }

    @Test("event ids are ULIDs that sort by time")
    func eventIDs() {
        var generator = SeededGenerator(seed: 7)
        let early = EventID.make(at: Self.wall, using: &generator)
        let late = EventID.make(at: Self.wall + .milliseconds(1), using: &generator)
        #expect(early.count == 30)
        #expect(early.hasPrefix("evt_"))
        #expect(early < late)
        let same1 = EventID.make(at: Self.wall, using: &generator)
        let same2 = EventID.make(at: Self.wall, using: &generator)
        #expect(same1 != same2)
        #expect(early.dropFirst(4).allSatisfy { "0123456789ABCDEFGHJKMNPQRSTVWXYZ".contains($0) })
        // The ULID's first ten characters are the millisecond time: 1,469,918,176,385 ms is
        // 01ARYZ6S41 in the ULID specification's example.
        let specification = EventID.make(at: UnixTime(milliseconds: 1_469_918_176_385), using: &generator)
        #expect(specification.dropFirst(4).prefix(10) == "01ARYZ6S41")
    }

    @Test("an event id's random part is its 80 bits in order, five at a time")
    func eventIDRandomBits() {
        let time = UnixTime(milliseconds: 1_469_918_176_385)
        #expect(EventID.make(at: time, high: 0, low: 0) == "evt_01ARYZ6S41" + String(repeating: "0", count: 16))
        #expect(EventID.make(at: time, high: .max, low: .max) == "evt_01ARYZ6S41" + String(repeating: "Z", count: 16))
        // The top bit of `high` is the first random digit's top bit (16 is G); the bottom bit of
        // `low` is the last digit; `high`'s low four bits begin the thirteenth digit.
        #expect(EventID.make(at: time, high: 1 << 63, low: 1) == "evt_01ARYZ6S41G" + String(repeating: "0", count: 14) + "1")
        #expect(EventID.make(at: time, high: 0xF, low: 0) == "evt_01ARYZ6S41" + String(repeating: "0", count: 12) + "Y000")
    }
}

extension LaneQueue {
    /// Reserves room and enqueues, as ingest does in two steps; false when the queue is full.
    fileprivate mutating func enqueue(_ job: Job) -> Bool {
        guard reserve(1) else { return false }
        enqueue(reserved: job)
        return true
    }
}

extension LaneQueueTests {
    @Test("a paused target's lanes hand out nothing, ready, parked or new; resumed, each lane starts at its head")
    func pausedTarget() {
        var queue = LaneQueue(capacity: 10)
        _ = queue.enqueue(Self.job("e1", contact: "c1"))
        _ = queue.enqueue(Self.job("e2", contact: "c1"))
        _ = queue.enqueue(Self.job("e1", contact: "c1", target: "plannr"))
        let parked = queue.next(now: Self.t0)
        #expect(parked?.event.id == "e1" && parked?.target == "buildr")
        if let parked { queue.park(parked, until: Self.t0 + .seconds(1)) }
        queue.pause("buildr")
        _ = queue.enqueue(Self.job("e3", contact: "c2"))
        let other = queue.next(now: Self.t0 + .seconds(2))
        #expect(other?.target == "plannr", "another target runs on")
        #expect(queue.next(now: Self.t0 + .seconds(2)) == nil, "the parked lane's turn came while paused; the new lane waits too")
        queue.resume("buildr")
        var resumed: [String] = []
        while let job = queue.next(now: Self.t0 + .seconds(2)) {
            resumed.append("\(job.event.id)/\(job.lane.contact)")
        }
        #expect(Set(resumed) == ["e1/atSource(source: \"standard\", id: \"c1\")", "e3/atSource(source: \"standard\", id: \"c2\")"])
    }
}
