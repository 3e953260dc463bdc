import HooklineCore
import HooklineServer
import HooklineTestSupport
import Testing

/// The contract every store keeps, written against `Journal` alone.
@Suite("the Journal contract, for every store", .serialized, .timeLimit(.minutes(2)))
struct JournalConformanceTests {
    static let events = EventJobs(TestConfigurationJournal.configuration)

    /// A received line for a standard contact update, and its jobs, made through the one path.
    static func delivery(_ event: String, contact: String = "c_7f3a21", message: String? = nil, at ts: UnixTime = .now()) throws -> (AuditRecord, [Job]) {
        let body = Array(#"{"type":"contact.updated","data":{"id":"\#(contact)","first_name":"\#(event)"}}"#.utf8)
        let record = AuditRecord(
            ts: UnixTime(milliseconds: ts.milliseconds), outcome: .received, event: event, message: message ?? "msg_\(event)", source: "standard",
            type: "contact.updated", contact: contact, targets: ["omnichannel", "buildr"], payload: body)
        return (record, try events.restore(record, owed: ["omnichannel", "buildr"]).get().jobs)
    }

    static func appendOpening(_ journal: any Journal, _ record: AuditRecord, jobs: [Job], claim: MessageKey? = nil) async -> OpeningOutcome {
        await withCheckedContinuation { continuation in
            journal.appendOpening(record, jobs: jobs, claim: claim, on: nil) { continuation.resume(returning: $0) }
        }
    }

    /// A delivery as ingest makes it: the claim first, then the opening. Its answer: accepted,
    /// or a duplicate of the original event — whichever step found the message id known.
    static func accept(_ journal: any Journal, _ record: AuditRecord, jobs: [Job]) async -> OpeningOutcome {
        guard let message = record.message, let event = record.event else { return await appendOpening(journal, record, jobs: jobs) }
        let key = MessageKey(source: record.source ?? "", messageID: message)
        switch journal.claim(message: key, eventID: event, now: record.ts) {
        case .new: return await appendOpening(journal, record, jobs: jobs, claim: key)
        case .duplicate(let original): return .duplicate(of: original)
        case .inProgress(let other): return .failed(JournalFailure("in progress as \(other)"))
        }
    }

    static func end(_ journal: any Journal, _ event: String, at target: String, _ outcome: AuditOutcome = .applied) {
        journal.append(AuditRecord(ts: .now(), outcome: outcome, event: event, source: "standard", target: target, attempt: 1))
    }

    @Test("an opening line is durable when its completion runs, and reads back whole", arguments: JournalStore.all)
    func openingReadsBack(store: JournalStore) async throws {
        try await store.with(try TemporaryDirectory()) { journal in
            let (record, jobs) = try Self.delivery("evt_a")
            #expect(await Self.appendOpening(journal, record, jobs: jobs) == .durable)
            #expect(try await journal.opening(of: "evt_a").get() == record)
            #expect(try await journal.owedTargets(of: "evt_a") == ["omnichannel", "buildr"])
            guard case .failure(let error) = await journal.opening(of: "evt_unknown") else {
                Issue.record("an event never received read back")
                return
            }
            #expect(error.code == .notOwed)
        }
    }

    @Test("a message id accepted once is a duplicate of its event from then on; while it is being accepted, in progress", arguments: JournalStore.all)
    func dedup(store: JournalStore) async throws {
        try await store.with(try TemporaryDirectory()) { journal in
            let key = MessageKey(source: "standard", messageID: "msg_1")
            #expect(journal.claim(message: key, eventID: "evt_1", now: .now()) == .new)
            #expect(journal.claim(message: key, eventID: "evt_2", now: .now()) == .inProgress(eventID: "evt_1"))
            let (record, jobs) = try Self.delivery("evt_1", message: "msg_1")
            #expect(await Self.appendOpening(journal, record, jobs: jobs, claim: key) == .durable)
            let (again, againJobs) = try Self.delivery("evt_3", message: "msg_1")
            #expect(await Self.accept(journal, again, jobs: againJobs) == .duplicate(of: "evt_1"))

            let released = MessageKey(source: "standard", messageID: "msg_released")
            #expect(journal.claim(message: released, eventID: "evt_4", now: .now()) == .new)
            journal.release(message: released)
            #expect(journal.claim(message: released, eventID: "evt_5", now: .now()) == .new, "a released claim lets the redelivery in")
        }
    }

    @Test("concurrent openings all become durable (they share commits)", arguments: JournalStore.all)
    func concurrentOpenings(store: JournalStore) async throws {
        try await store.with(try TemporaryDirectory()) { journal in
            let deliveries = try (0..<200).map { try Self.delivery("evt_\($0)", contact: "c\($0 % 7)") }
            let outcomes = await withTaskGroup(of: OpeningOutcome.self) { group in
                for (record, jobs) in deliveries {
                    group.addTask { await Self.appendOpening(journal, record, jobs: jobs) }
                }
                return await group.reduce(into: [OpeningOutcome]()) { $0.append($1) }
            }
            #expect(outcomes.allSatisfy { $0 == .durable })
            #expect(try await journal.owedTargets().count == 200)
        }
    }

    /// A delivery journaled and queued, as ingest does it.
    static func queue(_ journal: any Journal, _ board: any JobBoard, _ record: AuditRecord, jobs: [Job]) async -> OpeningOutcome {
        guard board.reserve(jobs.count) else { return .failed(JournalFailure("no room")) }
        let outcome = await appendOpening(journal, record, jobs: jobs)
        if outcome == .durable { board.enqueue(reserved: jobs) } else { board.cancelReservation(jobs.count) }
        return outcome
    }

    static func line(_ job: Job, _ outcome: AuditOutcome, attempt: Int = 1) -> AuditRecord {
        AuditRecord(ts: .now(), outcome: outcome, event: job.event.id, source: job.event.source, contact: job.event.contactID, target: job.target, attempt: attempt)
    }

    @Test("a job's end ends what is owed, target by target; a retry parks it and it comes back", arguments: JournalStore.all)
    func jobsEnd(store: JournalStore) async throws {
        try await store.with(try TemporaryDirectory()) { journal, board in
            let (record, jobs) = try Self.delivery("evt_t")
            #expect(await Self.queue(journal, board, record, jobs: jobs) == .durable)
            var taken: [String: Job] = [:]
            for _ in 0..<2 {
                let job = try #require(await board.next())
                taken[job.target] = job
            }
            #expect(Set(taken.keys) == ["omnichannel", "buildr"])
            let omnichannel = try #require(taken["omnichannel"])
            let buildr = try #require(taken["buildr"])
            #expect(
                omnichannel.event.contact.patch?.firstName == .set("evt_t") || omnichannel.event.contact == .inJournal,
                "the job carries its contact, or reads it back")
            #expect(await board.finish(omnichannel, line: Self.line(omnichannel, .skipped)) == .written)
            #expect(await board.park(buildr, until: .now(), line: Self.line(buildr, .retry)) == .written)
            _ = await journal.flush()
            #expect(try await journal.owedTargets(of: "evt_t") == ["buildr"])
            var retried = try #require(await board.next())
            #expect(retried.target == "buildr")
            retried.attempt = 2
            #expect(await board.finish(retried, line: Self.line(retried, .dead, attempt: 2)) == .written)
            _ = await journal.flush()
            #expect(try await journal.owedTargets(of: "evt_t") == nil)
            #expect(try await journal.owedTargets().isEmpty)

            let selected = try await journal.redriveCandidates(outcomes: [.dead], event: nil, since: nil, now: .now())
            #expect(selected.map(\.event) == ["evt_t"])
            #expect(selected.first?.outcome == .redriven)
            #expect(selected.first?.targets == ["buildr"])
            #expect(selected.first?.payload == record.payload)
            #expect(try await journal.redriveCandidates(outcomes: [.failed], event: nil, since: nil, now: .now()).isEmpty)
        }
    }

    @Test("what is owed survives closing and opening again: in receive order, lines whole", arguments: JournalStore.all)
    func owedAcrossRestart(store: JournalStore) async throws {
        let place = try TemporaryDirectory()
        var records: [AuditRecord] = []
        try await store.with(place) { first in
            for name in ["evt_1", "evt_2", "evt_3"] {
                let (record, jobs) = try Self.delivery(name, contact: name)
                records.append(record)
                #expect(await Self.appendOpening(first, record, jobs: jobs) == .durable)
            }
        }
        try await store.with(place) { second in
            var owed: [OwedEvent] = []
            try await second.forEachOwed { owed.append($0) }
            #expect(owed.map(\.event) == ["evt_1", "evt_2", "evt_3"])
            #expect(try owed.map { try $0.opening.get() } == records)
            #expect(owed.first?.owed == ["omnichannel", "buildr"])
        }
    }

    @Test("message ids and learned ids survive closing and opening again", arguments: JournalStore.all)
    func rememberedAcrossRestart(store: JournalStore) async throws {
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
