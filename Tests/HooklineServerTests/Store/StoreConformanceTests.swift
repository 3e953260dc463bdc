import HooklineCore
import HooklineServer
import HooklineTestSupport
import Testing

/// The contract every store keeps, written against `Store` alone and run against each store in
/// `StoreUnderTest.all`.
@Suite("the Store contract, for every store", .serialized, .timeLimit(.minutes(2)))
struct StoreConformanceTests {
    static let events = EventJobs(TestConfigurationJournal.configuration)

    /// A received line for a standard contact update, and its jobs, made through the one path.
    static func delivery(_ event: String, contact: String = "c_7f3a21", message: String? = nil, at ts: UnixTime = .now()) throws -> (AuditRecord, [Job]) {
        let body = Array(#"{"type":"contact.updated","data":{"id":"\#(contact)","first_name":"\#(event)"}}"#.utf8)
        let record = AuditRecord(
            ts: UnixTime(milliseconds: ts.milliseconds), outcome: .received, event: event, message: message ?? "msg_\(event)", source: "standard",
            type: "contact.updated", contact: contact, targets: ["omnichannel", "buildr"], payload: body)
        return (record, try events.restore(record, owed: ["omnichannel", "buildr"]).get().jobs)
    }

    /// Room reserved, then the event kept: what ingest and redrive do (no dedup claim).
    static func keep(_ store: any Store, _ record: AuditRecord, jobs: [Job], claim: MessageKey? = nil) async -> OpeningOutcome {
        guard store.reserve(jobs.count) else { return .failed(JournalFailure("no room for \(jobs.count) jobs")) }
        return await store.accept(record, jobs: jobs, claim: claim)
    }

    /// A delivery as ingest makes it: the claim first, then the event kept. Its answer: accepted,
    /// or a duplicate of the original event — whichever step found the message id known.
    static func accept(_ store: any Store, _ record: AuditRecord, jobs: [Job]) async -> OpeningOutcome {
        guard let message = record.message, let event = record.event else { return await keep(store, record, jobs: jobs) }
        let key = MessageKey(source: record.source ?? "", messageID: message)
        switch store.claim(message: key, eventID: event, now: record.ts) {
        case .new: return await keep(store, record, jobs: jobs, claim: key)
        case .duplicate(let original): return .duplicate(of: original)
        case .inProgress(let other): return .failed(JournalFailure("in progress as \(other)"))
        }
    }

    static func line(_ job: Job, _ outcome: AuditOutcome, attempt: Int = 1) -> AuditRecord {
        AuditRecord(ts: .now(), outcome: outcome, event: job.event.id, source: job.event.source, contact: job.event.contactID, target: job.target, attempt: attempt)
    }

    /// Takes `count` jobs, in the order the store hands them out.
    static func take(_ count: Int, from store: any Store) async throws -> [Job] {
        var jobs: [Job] = []
        for _ in 0..<count { jobs.append(try #require(await store.next())) }
        return jobs
    }

    @Test("an accepted event is durable when its completion runs, and reads back whole", arguments: StoreUnderTest.all)
    func openingReadsBack(store: StoreUnderTest) async throws {
        try await store.with(try TemporaryDirectory()) { store in
            let (record, jobs) = try Self.delivery("evt_a")
            #expect(await Self.keep(store, record, jobs: jobs) == .durable)
            #expect(try await store.opening(of: "evt_a").get() == record)
            #expect(try await store.owedTargets(of: "evt_a") == ["omnichannel", "buildr"])
            guard case .failure(let error) = await store.opening(of: "evt_unknown") else {
                Issue.record("an event never received read back")
                return
            }
            #expect(error.code == .notOwed)
        }
    }

    @Test("a message id accepted once is a duplicate of its event from then on; while it is being accepted, in progress", arguments: StoreUnderTest.all)
    func dedup(store: StoreUnderTest) async throws {
        try await store.with(try TemporaryDirectory()) { store in
            let key = MessageKey(source: "standard", messageID: "msg_1")
            #expect(store.claim(message: key, eventID: "evt_1", now: .now()) == .new)
            #expect(store.claim(message: key, eventID: "evt_2", now: .now()) == .inProgress(eventID: "evt_1"))
            let (record, jobs) = try Self.delivery("evt_1", message: "msg_1")
            #expect(await Self.keep(store, record, jobs: jobs, claim: key) == .durable)
            let (again, againJobs) = try Self.delivery("evt_3", message: "msg_1")
            #expect(await Self.accept(store, again, jobs: againJobs) == .duplicate(of: "evt_1"))

            let released = MessageKey(source: "standard", messageID: "msg_released")
            #expect(store.claim(message: released, eventID: "evt_4", now: .now()) == .new)
            store.release(message: released)
            #expect(store.claim(message: released, eventID: "evt_5", now: .now()) == .new, "a released claim lets the redelivery in")
        }
    }

    @Test("concurrent accepts all become durable (they share commits), and every job is counted", arguments: StoreUnderTest.all)
    func concurrentOpenings(store: StoreUnderTest) async throws {
        try await store.with(try TemporaryDirectory()) { store in
            let deliveries = try (0..<200).map { try Self.delivery("evt_\($0)", contact: "c\($0 % 7)") }
            let outcomes = await withTaskGroup(of: OpeningOutcome.self) { group in
                for (record, jobs) in deliveries {
                    group.addTask { await Self.keep(store, record, jobs: jobs) }
                }
                return await group.reduce(into: [OpeningOutcome]()) { $0.append($1) }
            }
            #expect(outcomes.allSatisfy { $0 == .durable })
            #expect(store.occupancy.jobs == 400)
            for (record, _) in deliveries.prefix(20) {
                #expect(try await store.owedTargets(of: record.event ?? "") == ["omnichannel", "buildr"])
            }
        }
    }

    @Test("the room a store has is claimed all or nothing, and given back when the event is not kept", arguments: StoreUnderTest.all)
    func capacity(store: StoreUnderTest) async throws {
        try await store.with(try TemporaryDirectory(), capacity: 3) { store in
            #expect(store.occupancy == StoreOccupancy(capacity: 3, jobs: 0, waiting: 0))
            #expect(!store.reserve(4), "more than the capacity at once")
            #expect(store.reserve(2))
            #expect(!store.reserve(2), "a reservation holds its room")
            store.cancelReservation(2)
            let (record, jobs) = try Self.delivery("evt_room")
            #expect(await Self.keep(store, record, jobs: jobs) == .durable)
            #expect(store.occupancy.jobs == 2)
            #expect(!store.reserve(2))
            #expect(store.reserve(1))
            store.cancelReservation(1)
        }
    }

    @Test("a job's end ends what is owed, target by target; a retry parks it and it comes back; redrive selects by last outcome", arguments: StoreUnderTest.all)
    func jobsEnd(store: StoreUnderTest) async throws {
        try await store.with(try TemporaryDirectory()) { store in
            let (record, jobs) = try Self.delivery("evt_t")
            #expect(await Self.keep(store, record, jobs: jobs) == .durable)
            let taken = Dictionary(uniqueKeysWithValues: try await Self.take(2, from: store).map { ($0.target, $0) })
            #expect(Set(taken.keys) == ["omnichannel", "buildr"])
            let omnichannel = try #require(taken["omnichannel"])
            let buildr = try #require(taken["buildr"])
            #expect(
                omnichannel.event.contact.patch?.firstName == .set("evt_t") || omnichannel.event.contact == .inJournal,
                "the job carries its contact, or reads it back")
            #expect(await store.finish(omnichannel, line: Self.line(omnichannel, .skipped)) == .written)
            #expect(await store.park(buildr, until: .now(), line: Self.line(buildr, .retry)) == .written)
            _ = await store.flush()
            #expect(try await store.owedTargets(of: "evt_t") == ["buildr"])
            var retried = try #require(await store.next())
            #expect(retried.target == "buildr")
            retried.attempt = 2
            #expect(await store.finish(retried, line: Self.line(retried, .dead, attempt: 2)) == .written)
            _ = await store.flush()
            #expect(try await store.owedTargets(of: "evt_t") == nil)
            #expect(store.occupancy.jobs == 0)

            let selected = try await store.redriveCandidates(outcomes: [.dead], event: nil, since: nil, now: .now())
            #expect(selected.map(\.event) == ["evt_t"])
            #expect(selected.first?.outcome == .redriven)
            #expect(selected.first?.targets == ["buildr"])
            #expect(selected.first?.payload == record.payload)
            #expect(try await store.redriveCandidates(outcomes: [.failed], event: nil, since: nil, now: .now()).isEmpty)
        }
    }

    @Test("what is owed survives closing and opening again, lines whole", arguments: StoreUnderTest.all)
    func owedAcrossRestart(store: StoreUnderTest) async throws {
        let place = try TemporaryDirectory()
        var records: [AuditRecord] = []
        try await store.with(place) { first in
            for name in ["evt_1", "evt_2", "evt_3"] {
                let (record, jobs) = try Self.delivery(name, contact: name)
                records.append(record)
                #expect(await Self.keep(first, record, jobs: jobs) == .durable)
            }
        }
        try await store.with(place) { second in
            for record in records {
                #expect(try await second.opening(of: record.event ?? "").get() == record)
                #expect(try await second.owedTargets(of: record.event ?? "") == ["omnichannel", "buildr"])
            }
            let jobs = try await Self.take(6, from: second)
            #expect(Set(jobs.map { "\($0.event.id)/\($0.target)" }) == Set(records.flatMap { record in ["omnichannel", "buildr"].map { "\(record.event ?? "")/\($0)" } }))
            for job in jobs { #expect(await second.finish(job, line: Self.line(job, .applied)) == .written) }
        }
    }

    @Test("message ids and learned ids survive closing and opening again", arguments: StoreUnderTest.all)
    func rememberedAcrossRestart(store: StoreUnderTest) async throws {
        let place = try TemporaryDirectory()
        try await store.with(place) { first in
            let (record, jobs) = try Self.delivery("evt_k", message: "msg_kept")
            #expect(await Self.accept(first, record, jobs: jobs) == .durable)
            #expect(
                try await first.remember(
                    LearnedReference(key: "acct-1/email", id: "uuid-1"), at: "plannr",
                    line: AuditRecord(ts: .now(), outcome: .created, event: "evt_k", target: "plannr", ref: "uuid-1", refKey: "acct-1/email"),
                    fence: nil))
            #expect(try await first.references(at: "plannr", prefixes: ["acct-1/"]).reference(target: "plannr", key: "acct-1/email") == "uuid-1")
        }
        try await store.with(place) { second in
            let (again, jobs) = try Self.delivery("evt_again", message: "msg_kept")
            #expect(await Self.accept(second, again, jobs: jobs) == .duplicate(of: "evt_k"))
            #expect(try await second.references(at: "plannr", prefixes: ["acct-1/"]).reference(target: "plannr", key: "acct-1/email") == "uuid-1")
            #expect(try await second.references(at: "plannr", prefixes: ["acct-2/"]).reference(target: "plannr", key: "acct-2/email") == nil)
        }
    }
}

/// The configuration the suite's events are routed by.
enum TestConfigurationJournal {
    static let configuration: HooklineConfiguration = {
        do {
            return try TestConfiguration.make(TestConfiguration.yaml(auditPath: "/dev/null"))
        } catch {
            preconditionFailure("the test configuration does not load: \(error)")
        }
    }()
}
