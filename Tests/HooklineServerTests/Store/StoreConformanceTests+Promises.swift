import HooklineCore
import HooklineServer
import HooklineTestSupport
import Synchronization
import Testing

/// The promises about order, room, rates and leases — and the two a store states in its type
/// instead of keeping: coalescing (`thinFetches`) and leases that run out (`permit`).
extension StoreConformanceTests {
    /// A thin delivery (a Buildr reference) and its job, waiting for its fetch, as ingest makes it.
    static func thinDelivery(_ event: String) -> (AuditRecord, [Job]) {
        let record = AuditRecord(
            ts: .now(), outcome: .received, event: event, message: "msg_\(event)", source: "buildr", type: "contact.update", contact: "2279",
            targets: ["omnichannel"], payload: Array(#"{"event":"contact.update","contact_id":2279}"#.utf8))
        let job = Job(
            event: ContactEvent(
                id: event, messageID: "msg_\(event)", source: "buildr", type: "contact.update", kind: .updated, receivedAt: .now(),
                contactID: "2279", contact: .reference(ContactReference(id: "2279"))),
            route: Route(source: "buildr", target: "omnichannel"),
            coalescingKey: Job.coalescingKey(source: "buildr", contactID: "2279", targets: ["omnichannel"]))
        return (record, [job])
    }

    @Test("a store that coalesces folds a thin message into the one whose fetch is waiting, and the folded message id is a duplicate from then on", arguments: StoreUnderTest.all)
    func coalescing(store: StoreUnderTest) async throws {
        try await store.with(try TemporaryDirectory()) { underTest in
            #expect((underTest.thinFetches != nil) == store.coalesces, "the store says in its type whether it coalesces")
            guard let thinFetches = underTest.thinFetches else { return }
            let (record, jobs) = Self.thinDelivery("evt_thin")
            #expect(await Self.keep(underTest, record, jobs: jobs) == .durable)
            #expect(thinFetches.waitingFetch(for: jobs[0].coalescingKey ?? "") == "evt_thin")

            let key = MessageKey(source: "buildr", messageID: "msg_folded")
            #expect(underTest.claim(message: key, eventID: "evt_folded", now: .now()) == .new)
            thinFetches.confirm(message: key)
            #expect(underTest.claim(message: key, eventID: "evt_again", now: .now()) == .duplicate(eventID: "evt_folded"))

            let job = try #require(await underTest.next())
            #expect(thinFetches.waitingFetch(for: jobs[0].coalescingKey ?? "") == nil, "a fetch that started takes no more messages")
            #expect(await underTest.finish(job, line: Self.line(job, .applied)) == .written)
        }
    }

    @Test("jobs owed at start are all handed out again, past a capacity smaller than they are, and the store takes no more until they end", arguments: StoreUnderTest.all)
    func overCapacity(store: StoreUnderTest) async throws {
        let place = try TemporaryDirectory()
        try await store.with(place, capacity: 10) { first in
            for index in 0..<4 {
                let (record, jobs) = try Self.delivery("evt_over_\(index)", contact: "c_over_\(index)")
                #expect(await Self.keep(first, record, jobs: jobs) == .durable)
            }
        }
        try await store.with(place, capacity: 2) { second in
            #expect(second.occupancy.jobs == 8)
            #expect(!second.reserve(1), "over capacity: a new delivery is refused")
            let jobs = try await Self.take(8, from: second)
            #expect(Set(jobs.map { "\($0.event.id)/\($0.target)" }).count == 8)
            for job in jobs { #expect(await second.finish(job, line: Self.line(job, .applied)) == .written) }
            #expect(second.occupancy.jobs == 0)
            #expect(second.reserve(2))
            second.cancelReservation(2)
        }
    }

    @Test("one lane (target and contact) runs one job at a time, in the order accepted; other lanes do not wait for it", arguments: StoreUnderTest.all)
    func ordering(store: StoreUnderTest) async throws {
        try await store.with(try TemporaryDirectory()) { store in
            for event in ["evt_o1", "evt_o2"] {
                let (record, jobs) = try Self.delivery(event, contact: "c_lane")
                #expect(await Self.keep(store, record, jobs: jobs) == .durable)
            }
            let (other, otherJobs) = try Self.delivery("evt_other", contact: "c_other")
            #expect(await Self.keep(store, other, jobs: otherJobs) == .durable)

            // The heads of the four lanes: evt_o1 at both targets and evt_other at both; evt_o2 waits.
            let heads = try await Self.take(4, from: store)
            #expect(Set(heads.map { "\($0.event.id)/\($0.target)" }) == ["evt_o1/omnichannel", "evt_o1/buildr", "evt_other/omnichannel", "evt_other/buildr"])
            let waiting = try await Self.handsOutNothing(store, because: "evt_o2 waits while evt_o1 holds its lanes")

            let first = try #require(heads.first { $0.event.id == "evt_o1" && $0.target == "omnichannel" })
            #expect(await store.finish(first, line: Self.line(first, .applied)) == .written)
            let second = try #require(await waiting.value)
            #expect(second.event.id == "evt_o2" && second.target == "omnichannel", "the lane's next job, once its head ended")
            for job in heads where !(job.event.id == "evt_o1" && job.target == "omnichannel") {
                #expect(await store.finish(job, line: Self.line(job, .applied)) == .written)
            }
            #expect(await store.finish(second, line: Self.line(second, .applied)) == .written)
            let last = try #require(await store.next())
            #expect(last.event.id == "evt_o2" && last.target == "buildr")
            #expect(await store.finish(last, line: Self.line(last, .applied)) == .written)
        }
    }

    @Test("a target's rate is shared by everything that calls it through the store, and a pause voids what was reserved before it", arguments: StoreUnderTest.all)
    func rateLimits(store: StoreUnderTest) async throws {
        let place = try TemporaryDirectory()
        let configuration = try await store.configuration(place, capacity: 1000)
        let buildr = try #require(configuration.targets.first { $0.name == "buildr" })
        let omnichannel = try #require(configuration.targets.first { $0.name == "omnichannel" })
        try await store.with(place) { underTest in
            #expect(underTest.rateLimiter(for: omnichannel) == nil, "a target without rate_limit has no limiter")
            let one = try #require(underTest.rateLimiter(for: buildr))
            let other = try #require(underTest.rateLimiter(for: buildr))
            let now = MonotonicTime.now()
            // 2 calls per 10 s, both at once: two slots now, the third 5 s after, whoever asks.
            let first = try await one.reserve(2, now: now)
            let third = try await other.reserve(1, now: now)
            #expect(first.count == 2 && third.count == 1)
            #expect(first.allSatisfy { $0.since(now) < .seconds(1) }, "the burst is free: \(first.map { $0.since(now) })")
            let wait = third[0].since(now)
            #expect(wait > .milliseconds(4500) && wait < .milliseconds(5500), "the third call waits one interval: \(wait)")

            await one.pause(until: now + .seconds(20), now: now)
            let paused = try #require(try await other.pausedUntil(now: now), "a pause holds for every caller")
            #expect(paused.since(now) > .milliseconds(19_500) && paused.since(now) < .milliseconds(20_500))
        }
    }

    @Test("a call is permitted while the job's lease covers its timeout and a margin, and its write covered while it covers the timeout; a store of one process holds no lease, so it always permits", arguments: StoreUnderTest.all)
    func permits(store: StoreUnderTest) async throws {
        try await store.with(try TemporaryDirectory()) { underTest in
            let (record, jobs) = try Self.delivery("evt_permit")
            #expect(await Self.keep(underTest, record, jobs: jobs) == .durable)
            let job = try #require(await underTest.next())
            #expect(underTest.permit(job, callTimeout: .seconds(2)) == .granted)
            // The suite's lease is the default, 30 s: a call that may take 40 s never starts under it.
            let long = underTest.permit(job, callTimeout: .seconds(40))
            if !store.holdsLeases {
                #expect(long == .granted)
            } else {
                guard case .expiring(let left, let needed) = long else {
                    Issue.record("a 40 s call under a 30 s lease: \(long)")
                    return
                }
                #expect(left <= .seconds(30) && left > .seconds(25) && needed == .seconds(41))
            }
            // Right after a write: covered while the lease left is at least the call's timeout.
            #expect(underTest.covers(job, callTimeout: .seconds(2)))
            #expect(underTest.covers(job, callTimeout: .seconds(40)) == !store.holdsLeases)
            // The lane's newest event, finished or not, for a repair after a late call.
            let (later, laterJobs) = try Self.delivery("evt_permit_later")
            #expect(await Self.keep(underTest, later, jobs: laterJobs) == .durable)
            #expect(await underTest.finish(job, line: Self.line(job, .applied)) == .written)
            let newest = try await underTest.newestOpening(inLaneOf: job)
            if store.holdsLeases {
                #expect(newest?.event == "evt_permit_later" && newest?.payload == later.payload, "\(String(describing: newest))")
            } else {
                #expect(newest == nil, "no lane of a store of one process changes hands")
            }
        }
    }
}

extension StoreConformanceTests {
    /// Expects `store` to hand out no job within 300 ms (`because` says why); the task returned
    /// gets the job it hands out once the test lets one through.
    static func handsOutNothing(_ store: any Store, because: Comment = "a paused target's jobs are not handed out") async throws -> Task<Job?, Never> {
        let handedOut = Mutex(false)
        let waiting = Task {
            let job = await store.next()
            handedOut.withLock { $0 = true }
            return job
        }
        // Nothing may happen here, so there is no condition to await: a bounded look.
        try await Task.sleep(for: .milliseconds(300))
        #expect(!handedOut.withLock { $0 }, because)
        return waiting
    }

    @Test("a paused target's jobs wait in their places and none is handed out; resumed, they run in order; the pause is written, named, and survives a restart", arguments: StoreUnderTest.all)
    func pausing(store: StoreUnderTest) async throws {
        let place = try TemporaryDirectory()
        try await store.with(place) { first in
            for event in ["evt_p1", "evt_p2"] {
                let (record, jobs) = try Self.delivery(event, contact: "c_pause")
                #expect(await Self.keep(first, record, jobs: jobs) == .durable)
            }
            #expect(try await first.pause("omnichannel", by: "test:operator"))
            #expect(try await first.pause("omnichannel", by: "someone else") == false, "paused already: nothing written")
            #expect(first.paused["omnichannel"]?.by == "test:operator")
            // The other target's lane runs on, in order.
            for event in ["evt_p1", "evt_p2"] {
                let job = try #require(await first.next())
                #expect(job.event.id == event && job.target == "buildr", "\(job.event.id)/\(job.target)")
                #expect(await first.finish(job, line: Self.line(job, .applied)) == .written)
            }
            let waiting = try await Self.handsOutNothing(first)
            #expect(try await first.resume("omnichannel", by: "test:operator"))
            #expect(try await first.resume("omnichannel", by: "test:operator") == false, "not paused: nothing written")
            #expect(first.paused.isEmpty)
            let resumed = try #require(await waiting.value)
            #expect(resumed.event.id == "evt_p1" && resumed.target == "omnichannel", "the lane resumes at its head")
            #expect(await first.finish(resumed, line: Self.line(resumed, .applied)) == .written)
            let next = try #require(await first.next())
            #expect(next.event.id == "evt_p2" && next.target == "omnichannel")
            #expect(await first.finish(next, line: Self.line(next, .applied)) == .written)

            // Paused again with a job waiting, it stays paused across a restart.
            let (record, jobs) = try Self.delivery("evt_p3", contact: "c_pause")
            #expect(await Self.keep(first, record, jobs: jobs) == .durable)
            #expect(try await first.pause("omnichannel", by: "test:night-shift"))
        }
        try await store.with(place) { second in
            #expect(second.paused["omnichannel"]?.by == "test:night-shift", "the pause held across the restart")
            let job = try #require(await second.next())
            #expect(job.event.id == "evt_p3" && job.target == "buildr")
            #expect(await second.finish(job, line: Self.line(job, .applied)) == .written)
            let waiting = try await Self.handsOutNothing(second)
            #expect(try await second.resume("omnichannel", by: "test:morning"))
            let resumed = try #require(await waiting.value)
            #expect(resumed.event.id == "evt_p3" && resumed.target == "omnichannel")
            #expect(await second.finish(resumed, line: Self.line(resumed, .applied)) == .written)
            _ = await second.flush()
        }
        let actions = try AuditLogReading.records(place.file("audit.jsonl")).filter { [.paused, .resumed].contains($0.outcome) }
        #expect(
            actions.map { "\($0.outcome.rawValue) \($0.target ?? "") by \($0.by ?? "")" } == [
                "paused omnichannel by test:operator", "resumed omnichannel by test:operator", "paused omnichannel by test:night-shift",
                "resumed omnichannel by test:morning",
            ])
    }
}

/// A pause in a fleet: written by one instance, read by the others.
@Suite("pausing across a fleet", .serialized, .timeLimit(.minutes(1)))
struct FleetPauseTests {
    @Test("a pause on one instance is held by another on the same database within a second or two, and so is the resume")
    func acrossInstances() async throws {
        try await StoreUnderTest.twoOnOneDatabase { first, second in
            #expect(try await first.pause("omnichannel", by: "test:first"))
            try await eventually(timeout: .seconds(5)) { second.paused["omnichannel"]?.by == "test:first" }
            #expect(try await second.pause("omnichannel", by: "test:second") == false, "the fleet has one pause per target")
            #expect(try await second.resume("omnichannel", by: "test:second"))
            try await eventually(timeout: .seconds(5)) { first.paused.isEmpty }
        }
    }
}
